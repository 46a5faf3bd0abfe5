// Overview: per-day counts from /stats (a chart) and the bounce / complaint rates against the
// thresholds mailbox providers enforce.
import { useEffect, useRef } from "preact/hooks";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { api } from "../api.js";
import { t, fmtPercent } from "../i18n.js";
import { Async, useLoad } from "../ui.jsx";

const SERIES = ["sent", "delivered", "failed", "bounced", "complained", "opened", "clicked"];
const COLORS = ["#1f5fbf", "#1d7a3a", "#b3261e", "#c25e00", "#7a1fa2", "#00707a", "#5c5c00"];
const BOUNCE_LIMIT = 0.04;
const COMPLAINT_LIMIT = 0.001;

function Chart({ buckets }) {
  const box = useRef(null);
  useEffect(() => {
    const xs = buckets.map((b) => Math.floor(new Date(b.start).getTime() / 1000));
    const data = [xs, ...SERIES.map((s) => buckets.map((b) => b[s] || 0))];
    const plot = new uPlot(
      {
        width: Math.max(320, box.current.clientWidth || 640),
        height: 260,
        series: [{ label: t("overview.day") }, ...SERIES.map((s, i) => ({ label: t(`stats.${s}`), stroke: COLORS[i], width: 2 }))],
        axes: [{}, { size: 50 }],
      },
      data,
      box.current,
    );
    return () => plot.destroy();
  }, [buckets]);
  return <div ref={box} class="chart" role="img" aria-label={t("overview.chart_label")} />;
}

function rate(totals, name, num, den) {
  if (totals[name] !== undefined && totals[name] !== null) return totals[name];
  return totals[den] ? totals[num] / totals[den] : null;
}

function Gauge({ label, value, limit, testid }) {
  const over = value !== null && value >= limit;
  return (
    <div class={`card gauge ${over ? "over" : "under"}`} data-testid={testid}>
      <h2>{label}</h2>
      <p class="big">{fmtPercent(value)}</p>
      <p class="muted">{t("overview.threshold", { limit: fmtPercent(limit) })}</p>
      <p>{value === null ? t("overview.no_data") : over ? t("overview.over") : t("overview.under")}</p>
    </div>
  );
}

export function Overview() {
  const until = new Date();
  const from = new Date(until.getTime() - 30 * 86400 * 1000);
  const state = useLoad(() => api.stats({ from: from.toISOString(), until: until.toISOString() }));
  return (
    <section aria-labelledby="page-title">
      <h1 id="page-title">{t("nav.overview")}</h1>
      <p class="muted">{t("overview.intro")}</p>
      <Async state={state}>
        {(stats) => {
          const totals = stats.totals || {};
          return (
            <div>
              <div class="gauges">
                <Gauge label={t("overview.bounce_rate")} value={rate(totals, "bounce_rate", "bounced", "sent")} limit={BOUNCE_LIMIT} testid="bounce-rate" />
                <Gauge label={t("overview.complaint_rate")} value={rate(totals, "complaint_rate", "complained", "sent")} limit={COMPLAINT_LIMIT} testid="complaint-rate" />
              </div>
              <div class="card">
                <h2>{t("overview.per_day")}</h2>
                {stats.buckets.length ? <Chart buckets={stats.buckets} /> : <p class="empty">{t("overview.empty")}</p>}
                <table>
                  <caption class="visually-hidden">{t("overview.totals")}</caption>
                  <thead>
                    <tr>
                      {SERIES.map((s) => (
                        <th scope="col">{t(`stats.${s}`)}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    <tr>
                      {SERIES.map((s) => (
                        <td>{totals[s] ?? 0}</td>
                      ))}
                    </tr>
                  </tbody>
                </table>
              </div>
            </div>
          );
        }}
      </Async>
    </section>
  );
}
