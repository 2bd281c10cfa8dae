import { BoundedLabel, OTHER, ServiceMetrics } from './metrics';

async function series(
  m: ServiceMetrics,
  name: string,
): Promise<{ labels: Record<string, string | number>; value: number }[]> {
  const metric = m.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const data = await metric.get();
  return data.values.map((v) => ({ labels: v.labels as Record<string, string | number>, value: v.value }));
}

describe('service metrics', () => {
  test('two services in one process keep separate registries', async () => {
    const a = new ServiceMetrics('collector', { defaultMetrics: false });
    const b = new ServiceMetrics('detector', { defaultMetrics: false });
    a.eventsIn('t');
    expect(await series(a, 'dockguard_events_in_total')).toEqual([{ labels: { topic: 't' }, value: 1 }]);
    expect(await series(b, 'dockguard_events_in_total')).toEqual([]);
    expect(await a.registry.metrics()).toContain('service="collector"');
  });

  test('rule ids past the limit fold into _other: the series count stays bounded', async () => {
    const m = new ServiceMetrics('detector', { defaultMetrics: false, maxRules: 50 });
    for (let i = 0; i < 5000; i++) m.finding(`rule-${i}`, 'high');
    const s = await series(m, 'dockguard_findings_total');
    expect(s.length).toBe(51);
    const other = s.find((x) => x.labels.rule_id === OTHER);
    expect(other?.value).toBe(4950);
    expect(s.reduce((n, x) => n + x.value, 0)).toBe(5000); // nothing lost, only folded
  });

  test('unknown levels and excess topics and partitions are folded too', async () => {
    const m = new ServiceMetrics('detector', { defaultMetrics: false, maxTopics: 2, maxPartitions: 3 });
    m.finding('r', 'catastrophic');
    expect((await series(m, 'dockguard_findings_total'))[0]?.labels.level).toBe(OTHER);
    for (let p = 0; p < 100; p++) m.consumerLag('audit', p, p);
    expect((await series(m, 'dockguard_consumer_lag')).length).toBe(4);
    for (const t of ['a', 'b', 'c', 'd']) m.eventsOut(t);
    const out = await series(m, 'dockguard_events_out_total');
    // topics share one bound across metrics: 'audit' (the lag gauge) holds the first slot
    expect(out.map((x) => x.labels.topic).sort()).toEqual(['_other', 'a']);
  });

  test('gauges and the histogram record what they are given', async () => {
    const m = new ServiceMetrics('collector', { defaultMetrics: false });
    m.spoolBytes(4096);
    m.stateKeys('correlation', 12);
    m.deadLettered('DETECTOR_FAILED', 2);
    const stop = m.timer('publish');
    expect(stop()).toBeGreaterThanOrEqual(0);
    expect((await series(m, 'dockguard_spool_bytes'))[0]?.value).toBe(4096);
    expect((await series(m, 'dockguard_state_keys'))[0]).toEqual({ labels: { store: 'correlation' }, value: 12 });
    expect((await series(m, 'dockguard_dead_letters_total'))[0]?.value).toBe(2);
    const count = (await series(m, 'dockguard_processing_seconds')).find(
      (x) => x.labels.stage === 'publish' && !('le' in x.labels) && x.value === 1,
    );
    expect(count).toBeDefined();
  });

  test('default process metrics are prefixed and labelled with the service', async () => {
    const m = new ServiceMetrics('indexer');
    const text = await m.registry.metrics();
    expect(text).toMatch(/dockguard_process_resident_memory_bytes\{service="indexer"\} \d+/);
  });

  test('BoundedLabel keeps the first values it saw', () => {
    const l = new BoundedLabel(2);
    expect([l.value('a'), l.value('b'), l.value('c'), l.value('a')]).toEqual(['a', 'b', OTHER, 'a']);
  });
});
