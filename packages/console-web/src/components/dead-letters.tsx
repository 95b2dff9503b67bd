import type { DeadLetterView } from "@baton/contracts";
import { dateTime } from "../format";
import { onLink, releasePath } from "../router";

// Messages a stage gave up on (parked in the dead-letter stream): which stage, which event, how many
// tries, the error. `baton dlq` lists the same.

export function DeadLetters({ letters, title = "Dead letters" }: { letters: readonly DeadLetterView[]; title?: string }) {
  if (letters.length === 0) return null;
  return (
    <section class="panel" aria-labelledby="dlq-title">
      <h2 id="dlq-title">
        {title} <span class="count">{letters.length}</span>
      </h2>
      <table class="dead-letters">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Stage</th>
            <th scope="col">Event</th>
            <th scope="col">Release</th>
            <th scope="col" class="num">Tries</th>
            <th scope="col">Error</th>
          </tr>
        </thead>
        <tbody>
          {letters.map((l) => (
            <tr key={l.seq}>
              <td>{dateTime(l.at)}</td>
              <td>{l.stage}</td>
              <td>{l.event}</td>
              <td>
                {l.releaseId === null ? (
                  "–"
                ) : (
                  <a href={releasePath(l.releaseId)} onClick={onLink}>
                    {l.releaseId}
                  </a>
                )}
              </td>
              <td class="num">{l.attempts}</td>
              <td class="error-text">
                {l.kind === "terminal" ? "" : "gave up: "}
                {l.error}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
