/**
 * Writes deploy/kibana/dockguard.ndjson, the Kibana 8.x saved objects of dockguard
 * (`npx tsx deploy/kibana/generate-ndjson.ts`; import with Stack Management →
 * Saved objects → Import, or `POST /api/saved_objects/_import`). Generated, so the
 * Lens state stays consistent; test/elasticsearch/kibana-content.test.ts checks
 * that every reference resolves and every field exists in our mappings.
 *
 * Objects: data views for findings and audit events; saved searches (per-client
 * attack timeline, high and critical findings, audit calls); a findings dashboard
 * (over time by level, top rules, top clients, ATT&CK techniques, the timeline)
 * and an API inventory dashboard (which endpoints, methods and query strings each
 * client uses). Lens panels are by value, the format of Kibana 8.
 */
import * as fs from 'fs';
import * as path from 'path';

type Obj = Record<string, unknown>;

const FINDINGS_DV = 'dockguard-findings';
const AUDIT_DV = 'dockguard-audit';
const CORE = '8.8.0';

function dataView(id: string, title: string, name: string, labels: Record<string, string>): Obj {
  return {
    id,
    type: 'index-pattern',
    coreMigrationVersion: CORE,
    typeMigrationVersion: '8.0.0',
    references: [],
    attributes: {
      title,
      name,
      timeFieldName: '@timestamp',
      allowNoIndex: true,
      fields: '[]',
      fieldFormatMap: '{}',
      fieldAttrs: JSON.stringify(Object.fromEntries(Object.entries(labels).map(([f, l]) => [f, { customLabel: l }]))),
    },
  };
}

function savedSearch(
  id: string,
  title: string,
  dv: string,
  columns: string[],
  sort: [string, 'asc' | 'desc'][],
  query: string,
  description: string,
): Obj {
  return {
    id,
    type: 'search',
    coreMigrationVersion: CORE,
    typeMigrationVersion: '8.0.0',
    references: [{ name: 'kibanaSavedObjectMeta.searchSourceJSON.index', type: 'index-pattern', id: dv }],
    attributes: {
      title,
      description,
      columns,
      sort,
      grid: {},
      hideChart: false,
      isTextBasedQuery: false,
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({
          query: { query, language: 'kuery' },
          filter: [],
          indexRefName: 'kibanaSavedObjectMeta.searchSourceJSON.index',
        }),
      },
    },
  };
}

// --- Lens columns
const count = (label = 'Findings'): Obj => ({
  label,
  customLabel: true,
  dataType: 'number',
  operationType: 'count',
  sourceField: '___records___',
  isBucketed: false,
  scale: 'ratio',
  params: { emptyAsNull: true },
});
const dateHistogram = (): Obj => ({
  label: '@timestamp',
  dataType: 'date',
  operationType: 'date_histogram',
  sourceField: '@timestamp',
  isBucketed: true,
  scale: 'interval',
  params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
});
const terms = (field: string, label: string, size: number, orderBy = 'count', dataType = 'string'): Obj => ({
  label,
  customLabel: true,
  dataType,
  operationType: 'terms',
  sourceField: field,
  isBucketed: true,
  scale: 'ordinal',
  params: {
    size,
    orderBy: { type: 'column', columnId: orderBy },
    orderDirection: 'desc',
    otherBucket: true,
    missingBucket: false,
    parentFormat: { id: 'terms' },
  },
});
const uniqueCount = (field: string, label: string): Obj => ({
  label,
  customLabel: true,
  dataType: 'number',
  operationType: 'unique_count',
  sourceField: field,
  isBucketed: false,
  scale: 'ratio',
  params: { emptyAsNull: true },
});
const lastValue = (field: string, label: string): Obj => ({
  label,
  customLabel: true,
  dataType: 'date',
  operationType: 'max',
  sourceField: field,
  isBucketed: false,
  scale: 'ratio',
  params: { emptyAsNull: true },
});

interface LensSpec {
  title: string;
  dv: string;
  visualizationType: 'lnsXY' | 'lnsDatatable';
  columns: Array<[string, Obj]>;
  visualization: (layerId: string) => Obj;
  query?: string;
}

let panelSeq = 0;

function lensPanel(spec: LensSpec, grid: { x: number; y: number; w: number; h: number }, dashRefs: Obj[]): Obj {
  const panelIndex = `p${++panelSeq}`;
  const layerId = `layer-${panelIndex}`;
  const refName = `indexpattern-datasource-layer-${layerId}`;
  dashRefs.push({ type: 'index-pattern', id: spec.dv, name: `${panelIndex}:${refName}` });
  return {
    type: 'lens',
    panelIndex,
    gridData: { ...grid, i: panelIndex },
    embeddableConfig: {
      enhancements: {},
      attributes: {
        title: spec.title,
        visualizationType: spec.visualizationType,
        type: 'lens',
        references: [{ type: 'index-pattern', id: spec.dv, name: refName }],
        state: {
          visualization: spec.visualization(layerId),
          query: { query: spec.query ?? '', language: 'kuery' },
          filters: [],
          datasourceStates: {
            formBased: {
              layers: {
                [layerId]: {
                  columns: Object.fromEntries(spec.columns),
                  columnOrder: spec.columns.map(([id]) => id),
                  incompleteColumns: {},
                },
              },
            },
          },
          internalReferences: [],
          adHocDataViews: {},
        },
      },
    },
    title: spec.title,
  };
}

function xy(seriesType: string, x: string, y: string[], split?: string) {
  return (layerId: string): Obj => ({
    legend: { isVisible: true, position: 'right' },
    valueLabels: 'hide',
    preferredSeriesType: seriesType,
    layers: [
      {
        layerId,
        layerType: 'data',
        seriesType,
        xAccessor: x,
        accessors: y,
        ...(split ? { splitAccessor: split } : {}),
      },
    ],
  });
}

function table(ids: string[]) {
  return (layerId: string): Obj => ({
    layerId,
    layerType: 'data',
    columns: ids.map((columnId) => ({ columnId })),
  });
}

function searchPanel(searchId: string, grid: { x: number; y: number; w: number; h: number }, dashRefs: Obj[]): Obj {
  const panelIndex = `p${++panelSeq}`;
  dashRefs.push({ type: 'search', id: searchId, name: `${panelIndex}:panel_${panelIndex}` });
  return {
    type: 'search',
    panelIndex,
    gridData: { ...grid, i: panelIndex },
    embeddableConfig: { enhancements: {} },
    panelRefName: `panel_${panelIndex}`,
  };
}

function dashboard(id: string, title: string, description: string, panels: Obj[], references: Obj[]): Obj {
  return {
    id,
    type: 'dashboard',
    coreMigrationVersion: CORE,
    typeMigrationVersion: '8.7.0',
    references,
    attributes: {
      title,
      description,
      timeRestore: true,
      timeFrom: 'now-24h',
      timeTo: 'now',
      refreshInterval: { pause: false, value: 60_000 },
      optionsJSON: JSON.stringify({ useMargins: true, syncColors: false, hidePanelTitles: false }),
      panelsJSON: JSON.stringify(panels),
      kibanaSavedObjectMeta: {
        searchSourceJSON: JSON.stringify({ query: { query: '', language: 'kuery' }, filter: [] }),
      },
    },
  };
}

export function savedObjects(): Obj[] {
  panelSeq = 0;
  const objects: Obj[] = [
    dataView(FINDINGS_DV, 'logs-dockguard.findings-*', 'dockguard findings', {
      'source.ip': 'Client address',
      'dockguard.client_key': 'Client',
      'rule.name': 'Rule',
      'event.level': 'Level',
    }),
    dataView(AUDIT_DV, 'logs-dockguard.audit-*', 'dockguard Docker API audit', {
      'source.ip': 'Client address',
      'dockguard.endpoint': 'Endpoint',
      'http.request.method': 'Method',
    }),
    savedSearch(
      'dockguard-client-timeline',
      'dockguard — per-client attack timeline',
      FINDINGS_DV,
      [
        'dockguard.client_key',
        'source.ip',
        'rule.name',
        'event.level',
        'threat.technique.id',
        'dockguard.endpoint',
        'container.image.name',
        'process.command_line',
        'message',
      ],
      [['@timestamp', 'asc']],
      '',
      'Findings oldest first: filter on one client (dockguard.client_key or source.ip) to read its attack in order.',
    ),
    savedSearch(
      'dockguard-high-findings',
      'dockguard — high and critical findings',
      FINDINGS_DV,
      ['event.level', 'rule.name', 'dockguard.client_key', 'source.ip', 'message'],
      [['@timestamp', 'desc']],
      'event.level : ("high" or "critical")',
      'Findings to triage first.',
    ),
    savedSearch(
      'dockguard-audit-calls',
      'dockguard — Docker API calls',
      AUDIT_DV,
      [
        'source.ip',
        'user.name',
        'http.request.method',
        'dockguard.endpoint',
        'url.query',
        'http.response.status_code',
        'container.image.name',
        'process.command_line',
      ],
      [['@timestamp', 'desc']],
      '',
      'Every Docker Engine API call the collectors saw, for pivoting from a finding (event ids in dockguard.event_ids).',
    ),
  ];

  const fRefs: Obj[] = [];
  const fPanels = [
    lensPanel(
      {
        title: 'Findings over time by level',
        dv: FINDINGS_DV,
        visualizationType: 'lnsXY',
        columns: [
          ['ts', dateHistogram()],
          ['level', terms('event.level', 'Level', 5)],
          ['count', count()],
        ],
        visualization: xy('bar_stacked', 'ts', ['count'], 'level'),
      },
      { x: 0, y: 0, w: 48, h: 12 },
      fRefs,
    ),
    lensPanel(
      {
        title: 'Top rules',
        dv: FINDINGS_DV,
        visualizationType: 'lnsXY',
        columns: [
          ['rule', terms('rule.name', 'Rule', 15)],
          ['count', count()],
        ],
        visualization: xy('bar_horizontal', 'rule', ['count']),
      },
      { x: 0, y: 12, w: 24, h: 15 },
      fRefs,
    ),
    lensPanel(
      {
        title: 'Top clients',
        dv: FINDINGS_DV,
        visualizationType: 'lnsDatatable',
        columns: [
          ['client', terms('dockguard.client_key', 'Client', 20)],
          ['count', count()],
          ['rules', uniqueCount('rule.name', 'Distinct rules')],
          ['last', lastValue('@timestamp', 'Last finding')],
        ],
        visualization: table(['client', 'count', 'rules', 'last']),
      },
      { x: 24, y: 12, w: 24, h: 15 },
      fRefs,
    ),
    lensPanel(
      {
        title: 'ATT&CK techniques',
        dv: FINDINGS_DV,
        visualizationType: 'lnsDatatable',
        columns: [
          ['technique', terms('threat.technique.id', 'Technique', 20)],
          ['tactic', terms('threat.tactic.name', 'Tactic', 5)],
          ['count', count()],
          ['clients', uniqueCount('dockguard.client_key', 'Clients')],
        ],
        visualization: table(['technique', 'tactic', 'count', 'clients']),
      },
      { x: 0, y: 27, w: 48, h: 12 },
      fRefs,
    ),
    searchPanel('dockguard-client-timeline', { x: 0, y: 39, w: 48, h: 20 }, fRefs),
  ];
  objects.push(
    dashboard(
      'dockguard-findings-dashboard',
      'dockguard — findings',
      'Docker Engine API abuse found by dockguard: when, which rules, which clients, which ATT&CK techniques.',
      fPanels,
      fRefs,
    ),
  );

  const aRefs: Obj[] = [];
  const aPanels = [
    lensPanel(
      {
        title: 'API inventory: endpoints per client',
        dv: AUDIT_DV,
        visualizationType: 'lnsDatatable',
        columns: [
          ['client', terms('source.ip', 'Client address', 50, 'count', 'ip')],
          ['endpoint', terms('dockguard.endpoint', 'Endpoint', 50)],
          ['method', terms('http.request.method', 'Method', 10)],
          ['count', count('Calls')],
          ['last', lastValue('@timestamp', 'Last call')],
        ],
        visualization: table(['client', 'endpoint', 'method', 'count', 'last']),
      },
      { x: 0, y: 0, w: 48, h: 18 },
      aRefs,
    ),
    lensPanel(
      {
        title: 'API inventory: query strings per endpoint',
        dv: AUDIT_DV,
        visualizationType: 'lnsDatatable',
        columns: [
          ['endpoint', terms('dockguard.endpoint', 'Endpoint', 50)],
          ['query', terms('url.query', 'Query string', 20)],
          ['count', count('Calls')],
          ['clients', uniqueCount('source.ip', 'Clients')],
        ],
        visualization: table(['endpoint', 'query', 'count', 'clients']),
      },
      { x: 0, y: 18, w: 24, h: 18 },
      aRefs,
    ),
    lensPanel(
      {
        title: 'Calls over time by endpoint',
        dv: AUDIT_DV,
        visualizationType: 'lnsXY',
        columns: [
          ['ts', dateHistogram()],
          ['endpoint', terms('dockguard.endpoint', 'Endpoint', 10)],
          ['count', count('Calls')],
        ],
        visualization: xy('bar_stacked', 'ts', ['count'], 'endpoint'),
      },
      { x: 24, y: 18, w: 24, h: 18 },
      aRefs,
    ),
    searchPanel('dockguard-audit-calls', { x: 0, y: 36, w: 48, h: 20 }, aRefs),
  ];
  objects.push(
    dashboard(
      'dockguard-api-inventory',
      'dockguard — Docker API inventory',
      'Which Docker Engine API endpoints, methods and parameters each client uses (raw audit stream).',
      aPanels,
      aRefs,
    ),
  );
  return objects;
}

export function ndjson(): string {
  return savedObjects()
    .map((o) => JSON.stringify(o))
    .join('\n')
    .concat('\n');
}

if (require.main === module) {
  fs.writeFileSync(path.join(__dirname, 'dockguard.ndjson'), ndjson());
  process.stdout.write('wrote deploy/kibana/dockguard.ndjson\n');
}
