import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';

// promtool comes with the Debian package prometheus, which `npm run setup` installs.
const prometheusDir = fileURLToPath(new URL('../../../deploy/prometheus/', import.meta.url));

function promtool(...args: string[]): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: prometheusDir, encoding: 'utf8', timeout: 60_000 });
  if ((result.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new Error(
      'promtool is not installed, so the alert rules cannot be checked: run `npm run setup` ' +
        '(or `apt-get install -y prometheus`)',
    );
  }
  if (result.error) throw result.error;
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

interface RuleTests {
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

describe('deploy/prometheus alert rules', () => {
  it('pass promtool check rules: 8 rules of valid PromQL', () => {
    const { status, output } = promtool('check', 'rules', 'alerts.yml');
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS: 8 rules found');
  });

  it('pass their promtool unit tests', () => {
    const { status, output } = promtool('test', 'rules', 'alerts.test.yml');
    expect(status, output).toBe(0);
    expect(output).toContain('SUCCESS');
  });

  it('each have a unit test where they fire and one where they stay silent', () => {
    const rules = readFileSync(`${prometheusDir}alerts.yml`, 'utf8');
    const alerts = [...rules.matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    expect(alerts).toHaveLength(8);
    const { tests } = parseYaml(readFileSync(`${prometheusDir}alerts.test.yml`, 'utf8')) as RuleTests;
    const checks = tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const alert of alerts) {
      const expected = checks.filter((c) => c.alertname === alert).map((c) => c.exp_alerts?.length ?? 0);
      expect(
        expected.some((n) => n > 0),
        `${alert} has no case where it fires`,
      ).toBe(true);
      expect(
        expected.some((n) => n === 0),
        `${alert} has no case where it stays silent`,
      ).toBe(true);
    }
  });
});
