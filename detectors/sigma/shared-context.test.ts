/**
 * Two rule sets in one process (the deny policy's and the detector's) read the
 * same field names through the same per-name leaf slots (fieldReader) and may be
 * handed the same EventContext, primed in place by the first one's prefilter
 * walk. Whatever the order, each must match what its naive evaluation matches on
 * a fresh context, and a context kept past later events must still answer for
 * its own event.
 */
import { EventContext } from './event-context';
import { compileSources, mulberryInts, ruleDoc } from './test-helpers';

const policy = compileSources([
  { file: 'p1.yml', text: ruleDoc(`s:\n  Image|endswith: ['/sh', '/bash']\n  User: root\ncondition: s`) },
  { file: 'p2.yml', text: ruleDoc(`s:\n  CommandLine|contains|cased: 'Docker.sock'\ncondition: s`) },
  { file: 'p3.yml', text: ruleDoc(`s:\n  client.ip|cidr: 10.0.0.0/8\n  Port|gt: 100\ncondition: s`) },
]).ruleSet;
const detector = compileSources([
  { file: 'd1.yml', text: ruleDoc(`s:\n  Image|contains: 'bin/b'\ncondition: s`) },
  { file: 'd2.yml', text: ruleDoc(`s:\n  CommandLine|re: 'Do[ck]+er\\.sock'\n  User|contains: oo\ncondition: s`) },
  { file: 'd3.yml', text: ruleDoc(`s:\n  HostConfig.Binds|startswith: '/etc'\ncondition: s`) },
  { file: 'd4.yml', text: ruleDoc(`keywords:\n  - 'privileged'\ncondition: keywords`) },
  { file: 'd5.yml', text: ruleDoc(`s:\n  client.ip|cidr: 10.1.0.0/16\ncondition: s`) },
]).ruleSet;

describe('rule sets sharing field slots and contexts', () => {
  it('match as their naive evaluation, with contexts shared, alternated and kept past later events', () => {
    const rnd = mulberryInts(7);
    const pick = <T>(xs: readonly T[]): T => xs[rnd(xs.length)] as T;
    const event = (): Record<string, unknown> => {
      const e: Record<string, unknown> = {};
      if (rnd(4) > 0) e['Image'] = pick(['/bin/sh', '/bin/bash', '/usr/bin/x', ['/bin/sh', '/x'], 7]);
      if (rnd(4) > 0) e['User'] = pick(['root', 'ROOT', 'moo', '']);
      if (rnd(4) > 0) e['CommandLine'] = pick(['cat Docker.sock', 'cat docker.sock', 'Dockker.sock', null]);
      if (rnd(3) > 0) e['client'] = { ip: pick(['10.1.2.3', '10.2.0.1', '11.0.0.1', '010.1.0.1', 'x']) };
      if (rnd(3) > 0) e['Port'] = pick([22, 443, '8080']);
      if (rnd(3) > 0) e['HostConfig'] = { Binds: pick(['/etc:/e', ['/x', '/etc/y']]), Privileged: rnd(2) === 0 };
      if (rnd(4) === 0) e['note'] = pick(['privileged mode', 'Privileged']);
      return e;
    };
    const events = Array.from({ length: 400 }, event);
    const want = events.map((e) => [policy.matchAllNaive(e), detector.matchAllNaive(e)]);
    const contexts = events.map((e) => new EventContext(e));
    let hits = 0;
    events.forEach((e, i) => {
      const ctx = contexts[i] as EventContext;
      // one context for both rule sets, in either order, or one each
      const mode = rnd(3);
      let got: number[][];
      if (mode === 0) got = [policy.matchIndexes(e, ctx), detector.matchIndexes(e, ctx)];
      else if (mode === 1) {
        const d = detector.matchIndexes(e, ctx);
        got = [policy.matchIndexes(e, ctx), d];
      } else got = [policy.matchIndexes(e), detector.matchIndexes(e, ctx)];
      hits += got[0]!.length + got[1]!.length;
      expect([i, got]).toEqual([i, want[i]]);
      // an older context, its walk's arrays now holding other events' values
      if (i > 0) {
        const j = rnd(i);
        const old = contexts[j] as EventContext;
        const again = [policy, detector].map((rs) => rs.rules.flatMap((r, ri) => (r.predicate(old) ? [ri] : [])));
        expect([j, again]).toEqual([j, want[j]]);
      }
    });
    // not all misses
    expect(hits).toBeGreaterThan(200);
  });
});
