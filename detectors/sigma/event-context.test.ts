/**
 * An EventContext answers fields from the prefilter's walk in place (the walk's
 * arrays are reused by the next event): it must answer what a fresh context
 * resolving the event itself answers, during the match and after the rule set
 * has moved on to other events.
 */
import { EventContext } from './event-context';
import { compileSources, ruleDoc } from './test-helpers';

const FIELDS = ['Image', 'CommandLine', 'User', 'HostConfig.Binds', 'HostConfig.Privileged', 'Absent', 'Port'];

function view(ctx: EventContext, name: string): unknown {
  const v = ctx.field(name);
  return { present: v.present, leaves: v.leaves, strs: v.strs, lowers: v.lowers };
}

describe('EventContext primed by the prefilter', () => {
  const { ruleSet } = compileSources([
    { file: 'a.yml', text: ruleDoc(`s:\n  Image|endswith: '/sh'\n  User: root\ncondition: s`) },
    { file: 'b.yml', text: ruleDoc(`s:\n  CommandLine|contains: 'docker.sock'\ncondition: s`) },
    {
      file: 'c.yml',
      text: ruleDoc(`s:\n  HostConfig.Binds|contains: '/etc'\n  HostConfig.Privileged: true\ncondition: s`),
    },
    { file: 'd.yml', text: ruleDoc(`s:\n  Absent: x\n  Port|gt: 10\ncondition: s`) },
  ]);
  const events: unknown[] = [
    { Image: '/bin/sh', User: 'root', CommandLine: 'cat /var/run/docker.sock', Port: 22 },
    { Image: ['/bin/sh', '/bin/bash'], User: 'ROOT', HostConfig: { Binds: ['/etc:/etc', '/x:/y'], Privileged: true } },
    { 'HostConfig.Binds': '/etc:/h', HostConfig: { Binds: '/other' }, CommandLine: 42 },
    { CommandLine: null, User: '' },
    'not an object',
  ];

  it('answers as a fresh context during the match and after the rule set moved on to other events', () => {
    const contexts = events.map((e) => new EventContext(e));
    events.forEach((e, i) => {
      const ctx = contexts[i] as EventContext;
      ruleSet.matchIndexes(e, ctx);
      for (const f of FIELDS) expect([i, f, view(ctx, f)]).toEqual([i, f, view(new EventContext(e), f)]);
    });
    // every context again, now that the walk's arrays hold other events' values
    events.forEach((e, i) => {
      for (const f of FIELDS)
        expect([i, f, view(contexts[i] as EventContext, f)]).toEqual([i, f, view(new EventContext(e), f)]);
    });
  });

  it('rule leaves sharing a field read each context its own values, contexts taken alternately', () => {
    const rules = ruleSet.rules;
    const contexts = events.map((e) => new EventContext(e));
    // by hand (a shared slot must not be the oracle): rules a, b, c, d on each event
    const want = [
      [true, true, false, false],
      [true, false, true, false],
      [false, false, false, false],
      [false, false, false, false],
      [false, false, false, false],
    ];
    for (let round = 0; round < 3; round++)
      [0, 1, 0, 2, 1, 3, 4, 0].forEach((i) => {
        const got = rules.map((r) => r.predicate(contexts[i] as EventContext));
        expect([i, got]).toEqual([i, want[i]]);
      });
  });
});
