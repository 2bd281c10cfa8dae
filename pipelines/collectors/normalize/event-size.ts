/**
 * Keeps an audit event under a size budget. An event Kafka refuses (its default
 * record limit is 1 MB) is an API call nobody audits, so size is an evasion: a
 * 900 KB `Cmd` still reaches dockerd through the authz plugin (bodies up to 1 MiB)
 * and appears four times in the event (body text, container.cmd, process.args,
 * process.command_line). Past the budget the body text goes first, then long strings
 * keep their head and tail and long lists their ends, in steps, until the event fits;
 * `event-truncated` in the anomalies says so, and is itself worth a rule.
 */
import type { DockerApiEvent } from '../../../schemas/generated/docker-api-event';

export const DEFAULT_MAX_EVENT_CHARS = 512 * 1024;

/** [longest string, longest list] per step, loosest first. */
const STEPS: ReadonlyArray<readonly [number, number]> = [
  [16384, 1024],
  [2048, 128],
  [256, 16],
  [64, 4],
];

function clipString(s: string, max: number): string {
  if (s.length <= max) return s;
  const half = Math.floor(max / 2);
  return `${s.slice(0, half)}…[${s.length - 2 * half} characters cut]…${s.slice(s.length - half)}`;
}

function clip(v: unknown, maxString: number, maxList: number): unknown {
  if (typeof v === 'string') return clipString(v, maxString);
  if (Array.isArray(v)) {
    const kept = v.length <= maxList ? v : [...v.slice(0, maxList / 2), ...v.slice(v.length - maxList / 2)];
    return kept.map((x) => clip(x, maxString, maxList));
  }
  if (v === null || typeof v !== 'object') return v;
  // the query map has no prototype (a key such as __proto__ stays data): keep it that way, and
  // keep its first keys only; records keep every field (the schema needs them)
  const isMap = Object.getPrototypeOf(v) === null;
  const out = (isMap ? Object.create(null) : {}) as Record<string, unknown>;
  const keys = Object.keys(v);
  for (const k of isMap ? keys.slice(0, maxList) : keys) {
    const ck = clipString(k, maxString);
    out[ck] = clip((v as Record<string, unknown>)[k], maxString, maxList);
  }
  return out;
}

const size = (e: DockerApiEvent): number => JSON.stringify(e).length;

/**
 * `event` itself when it fits `maxChars` (JSON characters, an upper bound of its Avro
 * size), else a bounded copy. `inputChars` (URI plus body length) lets the common
 * small call skip the measurement: what the builder copies out of a call is a few
 * times its size at most.
 */
export function boundEventSize(event: DockerApiEvent, maxChars: number, inputChars: number): DockerApiEvent {
  if (inputChars * 8 < maxChars || size(event) <= maxChars) return event;
  const req = event.dockguard.request;
  let e: DockerApiEvent = {
    ...event,
    dockguard: {
      ...event.dockguard,
      anomalies: [...event.dockguard.anomalies, 'event-truncated'],
      request:
        req.body === null ? req : { ...req, body: null, body_error: req.body_error ?? 'too large for the event' },
    },
  };
  if (size(e) <= maxChars) return e;
  for (const [maxString, maxList] of STEPS) {
    e = clip(event, maxString, maxList) as DockerApiEvent;
    // the fixed parts are never clipped away: ids, the anomaly and the reason
    e.event = event.event;
    e.dockguard.anomalies = [...(clip(event.dockguard.anomalies, 64, 64) as string[]), 'event-truncated'];
    e.dockguard.request = {
      ...e.dockguard.request,
      body: null,
      body_error: clipString(req.body_error ?? 'too large for the event', 256),
    };
    if (size(e) <= maxChars) return e;
  }
  return e;
}
