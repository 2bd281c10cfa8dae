/**
 * One kafkajs `Kafka` instance per configuration, shared by the kafkajs producer,
 * the consumer adapter and the admin adapter: brokers, TLS, SASL, timeouts, and
 * kafkajs' log lines routed into our pino logger.
 */
import { Kafka, logLevel, type KafkaConfig as KafkajsConfig, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { saslPassword, tlsFiles, type KafkaConfig } from './kafka-config';

export function createKafkajsClient(
  config: KafkaConfig,
  logger: Logger,
  clientIdSuffix = '',
  overrides: Pick<KafkajsConfig, 'requestTimeout' | 'retry'> = {},
): Kafka {
  const log = logger.child({ component: 'kafkajs' });
  const options: KafkajsConfig = {
    clientId: config.clientId + clientIdSuffix,
    brokers: config.brokers,
    connectionTimeout: config.connectionTimeoutMs,
    ...overrides,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }) => {
        const { message, ...rest } = entry;
        // kafkajs warns whenever an idempotent producer has finite retries; ours are
        // finite on purpose (a failed session is discarded, see kafka-producer.ts).
        if (typeof message === 'string' && message.startsWith('Limiting retries for the idempotent producer')) return;
        // Connection errors while a broker is down repeat every retry; the
        // publisher logs the outage once, so kafkajs' own errors are warnings.
        if (level <= logLevel.WARN) log.warn(rest, String(message));
        else if (level === logLevel.INFO) log.debug(rest, String(message));
        else log.trace(rest, String(message));
      },
  };
  if (config.ssl.enabled) {
    const files = tlsFiles(config.ssl);
    options.ssl = { rejectUnauthorized: config.ssl.rejectUnauthorized, ...files };
  }
  if (config.sasl) {
    options.sasl = {
      mechanism: config.sasl.mechanism,
      username: config.sasl.username,
      password: saslPassword(config.sasl),
    } as SASLOptions;
  }
  return new Kafka(options);
}
