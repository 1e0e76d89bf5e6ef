// Dates, times and money as a person reads them, in the browser's locale and time zone.

const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium" });
const dateTimeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function date(iso) {
  return iso ? dateFormat.format(new Date(iso.length === 10 ? `${iso}T00:00:00` : iso)) : "—";
}

export function dateTime(iso) {
  return iso ? dateTimeFormat.format(new Date(iso)) : "—";
}

export function money(value) {
  if (!value) return "—";
  const amount = Number(value.amount);
  try {
    return new Intl.NumberFormat(undefined, { style: "currency", currency: value.currency }).format(amount);
  } catch {
    return `${value.amount} ${value.currency}`;
  }
}

/** "in 3 days", "2 days ago", "today" */
export function fromNow(iso) {
  if (!iso) return "";
  const days = Math.round((new Date(iso) - new Date()) / 86_400_000);
  if (days === 0) return "today";
  if (days === 1) return "tomorrow";
  if (days === -1) return "yesterday";
  return days > 0 ? `in ${days} days` : `${-days} days ago`;
}

/** A duration in seconds, roughly: "2 h 5 min", "40 min", "3 d 4 h". */
export function duration(seconds) {
  const s = Math.abs(seconds);
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d) return `${d} d ${h} h`;
  if (h) return `${h} h ${m} min`;
  return `${Math.max(m, 1)} min`;
}

/** Words for enum values: DECISION_MAKER → "decision maker". */
export function words(value) {
  return value ? value.toLowerCase().replaceAll("_", " ") : "";
}

/** Today (or a day from it) as yyyy-mm-dd in the browser's time zone, for <input type=date>. */
export function isoDay(offsetDays = 0) {
  const d = new Date(Date.now() + offsetDays * 86_400_000);
  const pad = (n) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Now as yyyy-mm-ddThh:mm in the browser's time zone, for <input type=datetime-local>. */
export function localNow() {
  const d = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  return `${isoDay()}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A local date (and optional time) from a form as an ISO 8601 instant with its offset. */
export function instant(day, time = "12:00") {
  if (!day) return null;
  const value = day.includes("T") ? day : `${day}T${time}`;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}
