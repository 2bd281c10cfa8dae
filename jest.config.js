/** Unit tests sit next to pure code; test/ holds integration suites (they start real services). */
const base = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-v8-flags.ts'],
};
module.exports = {
  // integration suites talk to real services; a generous bound, not a benchmark
  testTimeout: 120000,
  projects: [
    { ...base, displayName: 'unit', roots: ['<rootDir>/detectors', '<rootDir>/pipelines', '<rootDir>/schemas'] },
    { ...base, displayName: 'integration', roots: ['<rootDir>/test'] },
  ],
};
