// The local services of deploy/local/services.sh are really usable from Node: Kafka
// speaks its protocol and stores and serves records, Elasticsearch indexes and
// returns a document, and the private dockerd runs a container from the imported
// image without a network. Each suite is skipped, with the reason in its title,
// when its endpoint variable is unset.
import { randomBytes } from 'node:crypto';
import { demuxDockerLogs, dockerApi, kafkaApiVersions, localServices, run, skipReason } from './local-services';

// JVM tools and container starts take seconds; jest's testTimeout is a global
// option, so the integration project's value in jest.config.js does not apply here.
jest.setTimeout(120_000);

const services = localServices();
const suffix = `${Date.now()}-${randomBytes(3).toString('hex')}`;

const kafka = services.kafkaBroker;
(kafka ? describe : describe.skip)(
  kafka ? `kafka at ${services.kafkaBrokers}` : `kafka ${skipReason('KAFKA_BROKERS', 'kafka')}`,
  () => {
    const topic = `dockguard-test-local-services-${suffix}`;

    test('answers a raw ApiVersions request with Produce, Fetch and Metadata', async () => {
      const versions = await kafkaApiVersions(kafka!.host, kafka!.port);
      for (const apiKey of [0, 1, 3]) expect(versions.has(apiKey)).toBe(true);
    });

    test('the topics tool creates and describes a topic', async () => {
      const boot = ['--bootstrap-server', services.kafkaBrokers!];
      const created = await run(services.kafkaTopics, [...boot, '--create', '--topic', topic, '--partitions', '2']);
      // toMatchObject shows stderr when the tool fails.
      expect(created).toMatchObject({ code: 0 });
      const described = await run(services.kafkaTopics, [...boot, '--describe', '--topic', topic]);
      expect(described).toMatchObject({ code: 0 });
      expect(described.stdout).toMatch(/PartitionCount:\s*2/);
    });

    test('a record produced with the console producer is consumed back', async () => {
      const record = `hello-${suffix}`;
      const boot = ['--bootstrap-server', services.kafkaBrokers!, '--topic', topic];
      const produced = await run(services.kafkaRun, ['kafka.tools.ConsoleProducer', ...boot], `${record}\n`);
      expect(produced).toMatchObject({ code: 0 });
      const consumed = await run(services.kafkaRun, [
        'org.apache.kafka.tools.consumer.ConsoleConsumer',
        ...boot,
        '--from-beginning',
        '--max-messages',
        '1',
        '--timeout-ms',
        '60000',
      ]);
      expect(consumed).toMatchObject({ code: 0 });
      expect(consumed.stdout.trim()).toBe(record);
    });
  },
);

const es = services.elasticsearchUrl;
(es ? describe : describe.skip)(
  es ? `elasticsearch at ${es}` : `elasticsearch ${skipReason('ELASTICSEARCH_URL', 'elasticsearch')}`,
  () => {
    const index = `dockguard-test-local-services-${suffix}`;

    afterAll(async () => {
      await fetch(`${es}/${index}`, { method: 'DELETE' });
    });

    test('cluster health is green or yellow', async () => {
      const res = await fetch(`${es}/_cluster/health`);
      expect(res.status).toBe(200);
      // Official clients refuse servers that do not send this header.
      expect(res.headers.get('x-elastic-product')).toBe('Elasticsearch');
      const health = (await res.json()) as { status: string; number_of_nodes: number };
      expect(['green', 'yellow']).toContain(health.status);
      expect(health.number_of_nodes).toBe(1);
    });

    test('indexes a document and gets it back', async () => {
      const doc = { rule: 'privileged-container-create', severity: 'high', '@timestamp': new Date().toISOString() };
      const put = await fetch(`${es}/${index}/_doc/finding-1?refresh=true`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(doc),
      });
      expect(put.status).toBe(201);
      const got = await fetch(`${es}/${index}/_doc/finding-1`);
      expect(got.status).toBe(200);
      const body = (await got.json()) as { found: boolean; _source: unknown };
      expect(body.found).toBe(true);
      expect(body._source).toEqual(doc);
      const search = await fetch(`${es}/${index}/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: { term: { 'rule.keyword': 'privileged-container-create' } } }),
      });
      const hits = (await search.json()) as { hits: { total: { value: number } } };
      expect(hits.hits.total.value).toBe(1);
    });
  },
);

const socket = services.dockerSocket;
(socket ? describe : describe.skip)(
  socket ? `dockerd at unix://${socket}` : `dockerd ${skipReason('DOCKER_HOST', 'dockerd')}`,
  () => {
    test('GET /version answers with an API version', async () => {
      const res = await dockerApi(socket!, 'GET', '/version');
      expect(res.status).toBe(200);
      const version = res.json<{ ApiVersion: string; Version: string }>();
      expect(version.ApiVersion).toMatch(/^1\.\d+$/);
    });

    test('the seed attack image alpine:latest exists locally', async () => {
      const res = await dockerApi(socket!, 'GET', '/images/alpine:latest/json');
      expect(res.status).toBe(200);
    });

    test('creates, starts and waits for a container without a network, and reads its logs', async () => {
      const create = await dockerApi(socket!, 'POST', `/containers/create?name=dockguard-test-${suffix}`, {
        Image: services.testImage,
        Cmd: ['echo', 'hello'],
        HostConfig: { NetworkMode: 'none' },
        Labels: { 'dockguard.test': 'local-services' },
      });
      expect(create.status).toBe(201);
      const { Id: id } = create.json<{ Id: string }>();
      try {
        expect((await dockerApi(socket!, 'POST', `/containers/${id}/start`)).status).toBe(204);
        const wait = await dockerApi(socket!, 'POST', `/containers/${id}/wait`);
        expect(wait.status).toBe(200);
        expect(wait.json<{ StatusCode: number }>().StatusCode).toBe(0);
        const logs = await dockerApi(socket!, 'GET', `/containers/${id}/logs?stdout=1&stderr=1`);
        expect(logs.status).toBe(200);
        expect(demuxDockerLogs(logs.body)).toEqual({ stdout: 'hello\n', stderr: '' });
      } finally {
        await dockerApi(socket!, 'DELETE', `/containers/${id}?force=1`);
      }
    });
  },
);
