// Lint rules, including the layering of the house style: detection logic in
// detectors/ is pure (no Kafka, Elasticsearch, fs, net or wall clock); I/O lives in
// pipelines/adapters/.
import tseslint from 'typescript-eslint';

const ioModules = [
  'fs',
  'fs/promises',
  'node:fs',
  'node:fs/promises',
  'net',
  'node:net',
  'http',
  'node:http',
  'https',
  'node:https',
  'tls',
  'node:tls',
  'child_process',
  'node:child_process',
  'readline',
  'node:readline',
  'kafkajs',
  'node-rdkafka',
  '@elastic/elasticsearch',
  'v8',
  'node:v8',
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'bin/**', '**/*.js', '**/*.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['detectors/**/*.ts'],
    ignores: ['detectors/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: ioModules.map((name) => ({ name, message: 'detectors/ is pure: do I/O in pipelines/adapters/' })),
          patterns: [{ group: ['**/pipelines/**'], message: 'detectors/ must not depend on pipelines/' }],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'no wall clock in detectors/: pass time in' },
        { object: 'performance', property: 'now', message: 'no wall clock in detectors/: pass time in' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'no wall clock in detectors/: pass time in',
        },
      ],
    },
  },
);
