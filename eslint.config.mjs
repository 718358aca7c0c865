import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'tasks/*/index.js', 'test/specs/**', '.tmp/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['shared/**/*.ts', 'tasks/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'error' },
  },
  {
    // One door to the agent: only shared/pipeline/ talks to azure-pipelines-task-lib; adapters use the run
    // context and the library takes plain options, so it runs the same from a task, a test or a script.
    files: ['**/*.ts'],
    ignores: ['shared/pipeline/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['azure-pipelines-task-lib', 'azure-pipelines-task-lib/*'],
              message:
                'Only shared/pipeline/ may import azure-pipelines-task-lib; use the TaskRunContext (run.connect(), run.summary(), run.output(), ...).',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { globals: globals.node },
  },
);
