import { compileSources, ruleDoc } from '../sigma/test-helpers';
import { matchedFields } from './finding-builder';
import { detectionRuleInfo } from './rule-info';

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

function infoOf(detection: string): ReturnType<typeof detectionRuleInfo> {
  const { ruleSet } = compileSources([{ file: 'r.yml', text: ruleDoc(detection, { id: id(1) }) }]);
  return detectionRuleInfo(ruleSet.rules[0]!);
}

describe('rule info: the fields a finding reports as matched', () => {
  it('lists the fields of every search a counted group (2 of …) holds', () => {
    const info = infoOf(
      `sel_root:\n  HostConfig.Binds|startswith: '/:'\nsel_shell:\n  Cmd|contains: bash\n` +
        `sel_agent:\n  UserAgent|contains: curl\ncondition: 2 of sel_*`,
    );
    expect(info.fields).toEqual(['Cmd', 'HostConfig.Binds', 'UserAgent']);
    const event = { HostConfig: { Binds: ['/:/mnt'] }, Cmd: ['sh', '-c', 'curl x | bash'], UserAgent: 'Go' };
    expect(matchedFields(event, info.fields).map((m) => m.field)).toEqual(['Cmd', 'HostConfig.Binds', 'UserAgent']);
  });

  it('lists the field a fieldref compares with', () => {
    expect(infoOf(`s:\n  Owner|fieldref: Creator\ncondition: s`).fields).toEqual(['Creator', 'Owner']);
  });

  it('leaves keyword searches out (they name no field)', () => {
    expect(infoOf(`k:\n  - xmrig\ns:\n  Image: alpine\ncondition: k and s`).fields).toEqual(['Image']);
  });
});
