/**
 * Every campaign of test/traffic/campaigns.ts, executed against the real dockerd
 * THROUGH the proxy collector (in-process, ephemeral port, memory sink); its audit
 * events go through the DetectorPipeline with the shipped rule pack, and every
 * rule the campaign's report says must fire raises at least one finding.
 * Containers (and committed images) a campaign creates are removed after it,
 * directly on the socket.
 */
import { CAMPAIGNS } from '../traffic/campaigns';
import {
  captureCampaign,
  detectAll,
  shippedDetectorSets,
  startCapture,
  type CaptureSession,
} from '../traffic/proxy-capture';
import { localServices, skipReason } from '../services/local-services';

const { dockerSocket } = localServices();
const describeDocker = dockerSocket ? describe : describe.skip;
const title = dockerSocket ? 'attack scenarios through the proxy collector' : skipReason('DOCKER_HOST', 'dockerd');

describeDocker(title, () => {
  let session: CaptureSession;

  beforeAll(async () => {
    session = await startCapture(dockerSocket!);
  });
  afterAll(async () => {
    await session?.close();
  });

  it('covers the seed and at least 8 more campaigns, each with expectations from the shipped pack', () => {
    expect(CAMPAIGNS.length).toBeGreaterThanOrEqual(9);
    expect(CAMPAIGNS.map((c) => c.id)).toContain('seed-xmrig-chroot');
    const known = new Set(shippedDetectorSets().rules.ruleSet.rules.map((r) => r.id));
    for (const c of shippedDetectorSets().rules.correlations) known.add(c.id);
    for (const b of shippedDetectorSets().baselines) known.add(b.id);
    known.add('dockguard-threat-intel');
    for (const c of CAMPAIGNS) {
      expect({ campaign: c.id, empty: c.expectedRules.length === 0 }).toEqual({ campaign: c.id, empty: false });
      expect({ campaign: c.id, unknown: c.expectedRules.filter((id) => !known.has(id)) }).toEqual({
        campaign: c.id,
        unknown: [],
      });
    }
  });

  it.each(CAMPAIGNS.map((c) => [c.id, c] as const))('%s raises its expected findings', async (_id, campaign) => {
    const { run, events } = await captureCampaign(session, campaign);
    // every call reached dockerd (no collector failure) and was audited from the attacker's address
    expect(run.steps.every((s) => s.status > 0 && s.status !== 502)).toBe(true);
    expect(events).toHaveLength(campaign.steps.length);
    const findings = detectAll(events);
    const fired = new Set(findings.map((f) => f.rule.id));
    const missing = campaign.expectedRules.filter((id) => !fired.has(id));
    expect({ campaign: campaign.id, missing }).toEqual({ campaign: campaign.id, missing: [] });
    // findings name the attacker's client and come from this campaign's events only
    const ids = new Set(events.map((e) => e.event.id));
    for (const f of findings) {
      expect(f.dockguard.client_key).toBe(campaign.client.localAddress);
      for (const id of f.dockguard.event_ids) expect(ids.has(id)).toBe(true);
    }
  });
});
