import type { ActivityEntry } from '../../main/api/bridge-contract.js';
import { fullDate, relative } from './time.js';

export function ActivityList({ entries, now }: { entries: ActivityEntry[]; now: number }) {
  return (
    <section className="panel" aria-labelledby="activity-heading">
      <h2 id="activity-heading">Activity</h2>
      {entries.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ol className="activity">
          {entries.map((entry) => (
            <li key={`${entry.at}-${entry.registry ?? ''}-${entry.text}`} className={entry.kind}>
              <time dateTime={entry.at} title={fullDate(entry.at)}>
                {relative(entry.at, now)}
              </time>
              {entry.registry && <span className="who">{entry.registry}</span>}
              <span>{entry.text}</span>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
