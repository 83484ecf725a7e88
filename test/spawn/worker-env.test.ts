import { describe, expect, it } from 'vitest';
import { cleanInheritedEnv } from '../../server/spawn/worker-env';

describe("a worker's inherited environment", () => {
  const relayRoot = '/opt/relay';

  it('under npm: drops npm_*, INIT_CWD and the relay\'s node_modules/.bin chain, keeps everything else', () => {
    const env = cleanInheritedEnv(
      {
        HOME: '/home/u',
        npm_lifecycle_event: 'start',
        npm_package_json: '/opt/relay/package.json',
        npm_config_registry: 'https://registry.npmjs.org/',
        INIT_CWD: '/opt/relay',
        NPM_TOKEN_OF_MY_OWN: 'kept',
        PATH: [
          '/opt/relay/node_modules/.bin', '/opt/node_modules/.bin', '/node_modules/.bin',
          '/usr/lib/node_modules/npm/node_modules/@npmcli/run-script/lib/node-gyp-bin',
          '/home/u/.cache/agent-relay/agent-clis/x@1/node_modules/.bin', '/home/u/project/node_modules/.bin', '/usr/bin', '/bin',
        ].join(':'),
      },
      relayRoot,
    );
    expect(Object.keys(env).filter((k) => k.startsWith('npm_'))).toEqual([]);
    expect(env.INIT_CWD).toBeUndefined();
    expect(env.HOME).toBe('/home/u');
    expect(env.NPM_TOKEN_OF_MY_OWN).toBe('kept');
    expect(env.PATH).toBe('/home/u/.cache/agent-relay/agent-clis/x@1/node_modules/.bin:/home/u/project/node_modules/.bin:/usr/bin:/bin');
  });

  it('not started by npm: nothing npm-like is removed except the relay\'s own bin folder on PATH', () => {
    const env = cleanInheritedEnv({ npm_config_cache: '/home/u/.npm-cache', PATH: '/opt/relay/node_modules/.bin:/usr/bin' }, relayRoot);
    expect(env.npm_config_cache).toBe('/home/u/.npm-cache');
    expect(env.PATH).toBe('/usr/bin');
  });

  it('drops the CI markers (agent CLIs read them as "no human here": Gemini CLI goes headless), keeps the rest', () => {
    const env = cleanInheritedEnv({ CI: 'true', GITHUB_ACTIONS: 'true', CONTINUOUS_INTEGRATION: '1', CI_COMMIT_SHA: 'abc', BUILD_NUMBER: '7', HOME: '/home/u', MY_CI: 'kept' }, relayRoot);
    expect(env).toEqual({ HOME: '/home/u', MY_CI: 'kept' });
  });

  it('the real relay process: no npm_* reaches a worker even under npm test', () => {
    const env = cleanInheritedEnv(process.env);
    expect(Object.keys(env).filter((k) => k.startsWith('npm_'))).toEqual([]);
    expect((env.PATH ?? '').split(':')).not.toContain(`${process.cwd()}/node_modules/.bin`);
  });
});

describe('a spawned worker', () => {
  it('gets COLORTERM=truecolor and none of the relay\'s npm_* or CI variables (unless the request sets them)', async () => {
    const { makeFixture, exitOf, outputText } = await import('./helpers');
    const fx = makeFixture();
    const saved = { ...process.env };
    try {
      process.env.npm_lifecycle_event = 'test';
      process.env.npm_config_user_agent = 'npm/11';
      process.env.CI = 'true';
      await fx.manager.spawn({ name: 'envy', cli: 'sh', args: ['-c', 'env; echo END'] });
      await fx.manager.spawn({ name: 'envy2', cli: 'sh', args: ['-c', 'env; echo END'], env: { CI: 'kept-by-request' } });
      await exitOf(fx.manager, 'envy2');
      expect((await outputText(fx.manager, 'envy2')).split(/\r?\n/)).toContain('CI=kept-by-request');
      await exitOf(fx.manager, 'envy');
      const lines = (await outputText(fx.manager, 'envy')).split(/\r?\n/);
      expect(lines).toContain('COLORTERM=truecolor');
      expect(lines).toContain('TERM=xterm-256color');
      expect(lines.filter((l) => l.startsWith('npm_'))).toEqual([]);
      expect(lines.filter((l) => l.startsWith('CI='))).toEqual([]);
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
      Object.assign(process.env, saved);
      await fx.cleanup();
    }
  });
});
