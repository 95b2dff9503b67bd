import type { ConsoleEvent } from "@baton/contracts";
import { clock, duration } from "../format";

// Every event of the release, in stream order: when, how long after the one before, what, from
// which stage, who triggered it (control events), and its whole payload on demand.

function who(e: ConsoleEvent): string {
  const d = e.data as { by?: unknown; requestedBy?: unknown };
  const by = typeof d.by === "string" ? d.by : typeof d.requestedBy === "string" ? d.requestedBy : "";
  return by;
}

/** The CloudEvent a request came as: its caller's source, id and subject (ReleaseRequested's requestedVia). */
function via(e: ConsoleEvent) {
  const v = (e.data as { requestedVia?: { source?: unknown; id?: unknown; subject?: unknown } }).requestedVia;
  if (!v || typeof v.source !== "string" || typeof v.id !== "string") return null;
  const subject = typeof v.subject === "string" ? v.subject : "";
  return (
    <span class="event-via" title={`CloudEvent source ${v.source}, id ${v.id}${subject ? `, subject ${subject}` : ""}`}>
      via {v.source} ({v.id}
      {subject ? `, ${subject}` : ""})
    </span>
  );
}

export function EventsList({ events }: { events: readonly ConsoleEvent[] }) {
  let previous: number | undefined;
  return (
    <table class="events">
      <caption class="visually-hidden">Events of the release</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col" class="num">Step</th>
          <th scope="col">Event</th>
          <th scope="col">From</th>
          <th scope="col">By</th>
          <th scope="col">Payload</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => {
          const t = Date.parse(e.time);
          const step = previous === undefined ? "" : `+${duration(t - previous)}`;
          previous = t;
          return (
            <tr key={e.id} data-event={e.name}>
              <td>
                <time dateTime={e.time}>{clock(e.time)}</time>
              </td>
              <td class="num">{step}</td>
              <th scope="row" class="event-name">
                {e.name}
              </th>
              <td>{e.source.replace(/^baton\//, "")}</td>
              <td class="event-by">
                {who(e)}
                {via(e)}
              </td>
              <td>
                <details>
                  <summary>payload</summary>
                  <pre>{JSON.stringify(e.data, null, 2)}</pre>
                </details>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
