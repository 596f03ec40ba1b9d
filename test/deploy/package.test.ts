import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionNames, ZIP_BUDGET_BYTES } from '../../build/bundle.ts';
import { packageService } from '../../build/package.ts';
import { LOCAL_SECRET_ID, LOCAL_SECRET_KEY } from '../../local/cos/defaults.ts';
import { LOCAL_JWT_SECRET } from '../../local/dev-auth.ts';
import {
  COMPLETION_FILTER,
  EVENT_FILTERS,
  STREAM_BATCH_SIZE,
  STREAM_MAX_RETRIES,
} from '../../local/dynamodb-stream-trigger.ts';
import { type FilterPattern, matchesEventFilter } from '../../local/lambda-event-filter.ts';
import { ROUTES } from '../../local/routes.ts';
import { type Config, configSchema, parseConfig } from '../../shared/config.ts';
import { CORS_HEADERS } from '../../shared/http/cors.ts';
import tableJson from '../../shared/store/dynamodb-table.json' with { type: 'json' };
import {
  dynamoDbActionsUsed,
  getAttTarget,
  lambdaNames,
  ofType,
  readTemplate,
  roleStatements,
  routeTargets,
  single,
  type Statement,
  type Template,
} from './template.ts';
import { unzip } from './unzip.ts';

const root = resolve(import.meta.dirname, '../..');
const STAGE = 'ci';
const SERVICE = 'cos-uploads';
const SECRETS = {
  COS_SECRET_ID: 'cos-secret-id',
  COS_SECRET_KEY: 'cos-secret-key',
  AUTH_JWT_SECRET: 'auth-jwt-secret',
};
const split = (csv: string) => csv.split(',').sort();

// `npm run package` for real, once per run: bundles, zips, `osls package` under the no-network
// guard with no AWS credentials (packageService throws on any network attempt or osls failure).
// It runs in a temp directory so it never replaces a package someone built in the repository.
let dir: string;
let template: Template;
let lambdas: Map<string, string>;
const fnOf = (logicalId: string | undefined) => lambdas.get(logicalId ?? '')?.replace(`${SERVICE}-${STAGE}-`, '');
const lambdaOf = (fn: string) =>
  ofType(template, 'AWS::Lambda::Function').find(
    ([, r]) => r.Properties.FunctionName === `${SERVICE}-${STAGE}-${fn}`,
  )?.[1];
const timeout = (fn: string) => lambdaOf(fn)?.Properties.Timeout;
/** Functions behind an HTTP route (API Gateway's 30 s applies to them). */
const ROUTED = new Set([...ROUTES.map((r) => r.fn as string), 'not-found']);
const TABLE_ARN = { 'Fn::GetAtt': ['UploadsTable', 'Arn'] };
const STREAM_ARN = { 'Fn::GetAtt': ['UploadsTable', 'StreamArn'] };
const FAILURES_ARN = { 'Fn::GetAtt': ['CompleteWorkerFailures', 'Arn'] };
const EVENT_FAILURES_ARN = { 'Fn::GetAtt': ['DeliverEventsFailures', 'Arn'] };
interface Mapping {
  EventSourceArn: unknown;
  FunctionName: unknown;
  StartingPosition: string;
  BatchSize: number;
  ParallelizationFactor: number;
  MaximumRetryAttempts: number;
  BisectBatchOnFunctionError: boolean;
  FunctionResponseTypes: string[];
  DestinationConfig: { OnFailure: { Destination: unknown } };
  FilterCriteria: { Filters: { Pattern: string }[] };
}
/** The stream's event source mapping of one function. */
const mappingOf = (fn: string): Mapping => {
  const found = ofType(template, 'AWS::Lambda::EventSourceMapping')
    .map(([, r]) => r.Properties as unknown as Mapping)
    .filter((m) => fnOf(getAttTarget(m.FunctionName)) === fn);
  expect(found, `${fn}'s stream mappings`).toHaveLength(1);
  return found[0]!;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'package-test-'));
  await packageService({ root, isolatedDir: dir, quiet: true, args: ['--stage', STAGE] });
  template = readTemplate(join(dir, '.serverless', 'cloudformation-template-update-stack.json'));
  lambdas = lambdaNames(template);
}, 240_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('serverless.yml → CloudFormation (osls package, offline)', () => {
  it('declares the table from shared/store/dynamodb-table.json: keys, every GSI, TTL on ttl, PITR on', () => {
    const tables = ofType(template, 'AWS::DynamoDB::Table');
    expect(tables).toHaveLength(1);
    const [id, table] = tables[0]!;
    expect(id).toBe('UploadsTable');
    const p = table.Properties;
    expect(p.BillingMode).toBe('PAY_PER_REQUEST');
    expect(p.KeySchema).toEqual(tableJson.KeySchema);
    expect(p.AttributeDefinitions).toEqual(tableJson.AttributeDefinitions);
    expect(p.GlobalSecondaryIndexes).toEqual(tableJson.GlobalSecondaryIndexes);
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: 'ttl', Enabled: true });
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
    // The completion workers' trigger: the item as written is what the stream filter reads.
    expect(p.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });
    expect(p.StreamSpecification).toEqual(tableJson.StreamSpecification);
    expect(table.DeletionPolicy).toBe('Retain');
    expect(table.UpdateReplacePolicy).toBe('Retain');
  });

  it('has one arm64 nodejs24.x Lambda per functions/*.ts, each running its own zip', async () => {
    const files = await functionNames(root);
    expect([...lambdas.values()].sort()).toEqual(files.map((f) => `${SERVICE}-${STAGE}-${f}`).sort());
    for (const [, fn] of ofType(template, 'AWS::Lambda::Function')) {
      const name = (fn.Properties.FunctionName as string).replace(`${SERVICE}-${STAGE}-`, '');
      expect(fn.Properties.Runtime, name).toBe('nodejs24.x');
      expect(fn.Properties.Architectures, name).toEqual(['arm64']);
      expect(fn.Properties.Handler, name).toBe(`${name}.handler`);
      expect((fn.Properties.Code as { S3Key: string }).S3Key, name).toMatch(new RegExp(`/${name}\\.zip$`));
      // API Gateway gives up after 30 s; a routed function must finish (or time out) first.
      if (ROUTED.has(name)) expect(fn.Properties.Timeout, name).toBeLessThanOrEqual(29);
    }
    expect(timeout('complete-upload')).toBe(29);
    // Behind no route: the scheduled sweep, the stream's completion worker (a merge takes minutes),
    // and the webhook deliverers (the stream's, and the retry schedule's).
    expect(files.filter((f) => !ROUTED.has(f)).sort()).toEqual([
      'complete-worker',
      'deliver-due-events',
      'deliver-events',
      'sweep-schedule',
    ]);
    expect(timeout('sweep-schedule')).toBe(300);
    expect(timeout('deliver-events')).toBe(60);
    expect(timeout('deliver-due-events')).toBe(120);
    expect(timeout('complete-worker')).toBe(900);
  });

  it('routes every entry of local/routes.ts to its function, and $default to not-found — nothing else', () => {
    const targets = routeTargets(template);
    const expected = new Map<string, string>(ROUTES.map((r) => [`${r.method} ${r.path}`, r.fn]));
    expected.set('$default', 'not-found');
    expect([...targets.keys()].sort()).toEqual([...expected.keys()].sort());
    for (const [key, fn] of expected) expect(fnOf(targets.get(key)), key).toBe(fn);
    // The handlers read HTTP API payload 2.0 (shared/http/api-event.ts normalizes both, local uses 2.0).
    for (const [, integration] of ofType(template, 'AWS::ApiGatewayV2::Integration')) {
      expect(integration.Properties.PayloadFormatVersion).toBe('2.0');
    }
  });

  it('answers CORS preflights at the gateway with the same policy the handlers send', () => {
    const cors = single(template, 'AWS::ApiGatewayV2::Api').Properties.CorsConfiguration as Record<
      string,
      string[] | number
    >;
    expect(cors.AllowOrigins).toEqual([CORS_HEADERS['access-control-allow-origin']]);
    expect([...(cors.AllowMethods as string[])].sort()).toEqual(split(CORS_HEADERS['access-control-allow-methods']!));
    expect([...(cors.AllowHeaders as string[])].sort()).toEqual(split(CORS_HEADERS['access-control-allow-headers']!));
    expect(cors.ExposeHeaders).toEqual(split(CORS_HEADERS['access-control-expose-headers']!));
    expect(cors.MaxAge).toBe(Number(CORS_HEADERS['access-control-max-age']));
    expect(cors.AllowCredentials).toBeUndefined();
  });

  it('runs the sweep hourly and the webhook retries every minute', () => {
    const rules = ofType(template, 'AWS::Events::Rule').map(
      ([, r]) => r.Properties as { ScheduleExpression: string; State: string; Targets: { Arn: unknown }[] },
    );
    expect(rules).toHaveLength(2);
    const schedules = new Map(rules.map((r) => [r.Targets.map((t) => fnOf(getAttTarget(t.Arn))).join(), r]));
    expect(schedules.get('sweep-schedule')?.ScheduleExpression).toBe('rate(1 hour)');
    expect(schedules.get('deliver-due-events')?.ScheduleExpression).toBe('rate(1 minute)');
    for (const r of rules) expect(r.State).toBe('ENABLED');
    const permissions = ofType(template, 'AWS::Lambda::Permission').map(([, r]) => r.Properties);
    for (const fn of ['sweep-schedule', 'deliver-due-events']) {
      expect(
        permissions.some((p) => p.Principal === 'events.amazonaws.com' && fnOf(getAttTarget(p.FunctionName)) === fn),
        fn,
      ).toBe(true);
    }
  });

  it('starts the completion worker from the table stream: filtered, retried, bisected, then dead-lettered', () => {
    expect(ofType(template, 'AWS::Lambda::EventSourceMapping')).toHaveLength(2);
    const m = mappingOf('complete-worker');
    expect(m.EventSourceArn).toEqual(STREAM_ARN);
    expect(m.StartingPosition).toBe('LATEST');
    expect(m.BatchSize).toBeLessThanOrEqual(10);
    expect(m.ParallelizationFactor).toBe(10);
    expect(m.BisectBatchOnFunctionError).toBe(true);
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.MaximumRetryAttempts).toBe(5);
    expect(m.DestinationConfig.OnFailure.Destination).toEqual(FAILURES_ARN);
    // The local stream trigger delivers and retries as this mapping does, with this very filter.
    expect(m.BatchSize).toBe(STREAM_BATCH_SIZE);
    expect(m.MaximumRetryAttempts).toBe(STREAM_MAX_RETRIES);
    expect(m.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as unknown)).toEqual([COMPLETION_FILTER]);

    const queue = template.Resources.CompleteWorkerFailures!;
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.MessageRetentionPeriod).toBe(1_209_600);
  });

  it('feeds deliver-events from the same stream: its two filters, retried, bisected, dead-lettered', () => {
    const m = mappingOf('deliver-events');
    expect(m.EventSourceArn).toEqual(STREAM_ARN);
    // The checkpoint is kept; at creation the stream's 24 h are read (EVENT items de-duplicate).
    expect(m.StartingPosition).toBe('TRIM_HORIZON');
    expect(m.BatchSize).toBe(10);
    expect(m.MaximumRetryAttempts).toBe(5);
    expect(m.BisectBatchOnFunctionError).toBe(true);
    expect(m.FunctionResponseTypes).toEqual(['ReportBatchItemFailures']);
    expect(m.DestinationConfig.OnFailure.Destination).toEqual(EVENT_FAILURES_ARN);
    // The local trigger applies these very filters (Lambda ORs a mapping's patterns).
    expect(m.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as unknown)).toEqual([...EVENT_FILTERS]);
    const patterns = m.FilterCriteria.Filters.map((f) => JSON.parse(f.Pattern) as FilterPattern);
    const passes = (eventName: string, image: Record<string, unknown>) =>
      patterns.some((p) =>
        matchesEventFilter(p, { eventName, dynamodb: { Keys: {}, NewImage: image, SequenceNumber: '1' } }),
      );
    const meta = { pk: { S: 'UPLOAD#upl_1' }, sk: { S: 'META' } };
    for (const state of ['completed', 'aborted', 'expired'])
      expect(passes('MODIFY', { ...meta, state: { S: state } })).toBe(true);
    expect(passes('INSERT', { ...meta, state: { S: 'open' } })).toBe(true);
    expect(passes('INSERT', { ...meta, state: { S: 'completed' } })).toBe(true);
    expect(passes('MODIFY', { ...meta, state: { S: 'open' } })).toBe(false);
    expect(passes('MODIFY', { ...meta, state: { S: 'completing' } })).toBe(false);
    expect(passes('INSERT', { pk: { S: 'EVENT#evt_1' }, sk: { S: 'EVENT' }, state: { S: 'failed' } })).toBe(false);
    expect(template.Resources.DeliverEventsFailures!.Type).toBe('AWS::SQS::Queue');
  });

  it('lets through only an upload META item entering completing with no lease', () => {
    const m = mappingOf('complete-worker');
    const pattern = JSON.parse(m.FilterCriteria.Filters[0]!.Pattern) as FilterPattern;
    const record = (image: Record<string, unknown>) => ({
      eventName: 'MODIFY',
      dynamodb: { Keys: { pk: image.pk, sk: image.sk }, NewImage: image, SequenceNumber: '1' },
    });
    const meta = { pk: { S: 'UPLOAD#upl_1' }, sk: { S: 'META' } };
    // The complete's write (and a worker handing back, a re-drive): completing, leaseUntil null.
    expect(
      matchesEventFilter(pattern, record({ ...meta, state: { S: 'completing' }, leaseUntil: { NULL: true } })),
    ).toBe(true);
    // The worker's own lease write, every other state, a part-ledger chunk, a TTL removal: not.
    const lease = { S: '2030-01-01T00:16:00.000Z' };
    expect(matchesEventFilter(pattern, record({ ...meta, state: { S: 'completing' }, leaseUntil: lease }))).toBe(false);
    for (const state of ['open', 'completed', 'aborted', 'expired']) {
      expect(matchesEventFilter(pattern, record({ ...meta, state: { S: state }, leaseUntil: { NULL: true } }))).toBe(
        false,
      );
    }
    expect(matchesEventFilter(pattern, record({ ...meta, state: { S: 'completing' } }))).toBe(false);
    const chunk = { pk: meta.pk, sk: { S: 'PARTS#0' }, p1: { M: { e: { S: '"etag"' } } } };
    expect(matchesEventFilter(pattern, record(chunk))).toBe(false);
    expect(matchesEventFilter(pattern, { eventName: 'REMOVE', dynamodb: { Keys: meta, SequenceNumber: '2' } })).toBe(
      false,
    );
  });

  it('grants exactly the DynamoDB calls the code makes, on this table and its named indexes only', () => {
    const statements = roleStatements(template);
    for (const s of statements) {
      expect(s.Effect).toBe('Allow');
      for (const a of s.Action) expect(a, `action ${a}`).not.toContain('*');
      expect(s.Resource).not.toContain('*');
    }
    const on = (list: Statement[], arn: unknown) =>
      list.filter((s) => JSON.stringify(s.Resource) === JSON.stringify([arn]));
    const dynamo = statements.filter((s) => s.Action.some((a) => a.startsWith('dynamodb:')));
    const onTable = on(dynamo, TABLE_ARN);
    expect(onTable).toHaveLength(1);
    expect(new Set(onTable[0]!.Action)).toEqual(dynamoDbActionsUsed(root));
    // osls's grant for each stream event (complete-worker's, deliver-events'): reading this table's
    // stream, nothing else.
    const onStream = on(dynamo, STREAM_ARN);
    expect(onStream).toHaveLength(2);
    for (const grant of onStream) {
      expect([...grant.Action].sort()).toEqual([
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ]);
    }
    // ...and for their on-failure destinations: sending to those two queues (osls adds ListQueues).
    const sqs = statements.filter((s) => s.Action.some((a) => a.startsWith('sqs:')));
    expect(sqs.map((s) => s.Resource)).toEqual(expect.arrayContaining([[FAILURES_ARN], [EVENT_FAILURES_ARN]]));
    expect(sqs).toHaveLength(2);
    for (const grant of sqs) {
      expect(grant.Action).toContain('sqs:SendMessage');
      for (const a of grant.Action) expect(['sqs:SendMessage', 'sqs:ListQueues']).toContain(a);
    }
    const onIndexes = dynamo.filter((s) => s !== onTable[0] && !onStream.includes(s));
    expect(onIndexes).toHaveLength(1);
    expect(onIndexes[0]!.Action).toEqual(['dynamodb:Query']);
    const indexArn = (name: string) => ({
      'Fn::Join': ['/', [{ 'Fn::GetAtt': ['UploadsTable', 'Arn'] }, 'index', name]],
    });
    expect(onIndexes[0]!.Resource).toEqual(tableJson.GlobalSecondaryIndexes.map((g) => indexArn(g.IndexName)));
    // The rest are osls's logging grants: this service+stage's own log groups. The only `*` in the
    // role is theirs — log stream names are random per Lambda instance, so they cannot be listed.
    for (const s of statements.filter((x) => !dynamo.includes(x) && !sqs.includes(x))) {
      for (const a of s.Action) expect(a).toMatch(/^logs:(CreateLogStream|CreateLogGroup|TagResource|PutLogEvents)$/);
      for (const r of s.Resource) {
        expect((r as { 'Fn::Sub': string })['Fn::Sub']).toMatch(
          new RegExp(
            `^arn:\\$\\{AWS::Partition\\}:logs:\\$\\{AWS::Region\\}:\\$\\{AWS::AccountId\\}:log-group:/aws/lambda/${SERVICE}-${STAGE}\\*:\\*`,
          ),
        );
      }
    }
  });

  it('keeps secrets out of the template: SSM references resolved by CloudFormation at deploy', async () => {
    const raw = await readFile(join(dir, '.serverless', 'cloudformation-template-update-stack.json'), 'utf8');
    for (const known of [LOCAL_SECRET_ID, LOCAL_SECRET_KEY, LOCAL_JWT_SECRET]) expect(raw).not.toContain(known);
    for (const [, fn] of ofType(template, 'AWS::Lambda::Function')) {
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      for (const [name, param] of Object.entries(SECRETS)) {
        expect(env[name]).toBe(`{{resolve:ssm:/${SERVICE}/${STAGE}/${param}}}`);
      }
      expect(env).not.toHaveProperty('COS_SESSION_TOKEN');
      expect(env).not.toHaveProperty('DYNAMODB_ENDPOINT');
      expect(env.UPLOADS_STORE).toBe('dynamodb');
      expect(env.UPLOADS_TABLE).toEqual({ Ref: 'UploadsTable' });
    }
  });

  it('sets an environment that shared/config.ts accepts, with its documented defaults', () => {
    const fn = ofType(template, 'AWS::Lambda::Function')[0]![1];
    const env = {
      ...(fn.Properties.Environment as { Variables: Record<string, string> }).Variables,
      UPLOADS_TABLE: 'uploads-table',
    };
    const defaults = configSchema().parse({ COS_SECRET_ID: 'x', COS_SECRET_KEY: 'x', AUTH_JWT_SECRET: 'x'.repeat(16) });
    // Secrets and the table name differ by construction; every other setting must be config.ts's default.
    const comparable = (c: Config) => {
      const o: Partial<Config> = { ...c };
      for (const k of ['COS_SECRET_ID', 'COS_SECRET_KEY', 'AUTH_JWT_SECRET', 'UPLOADS_TABLE'] as const) delete o[k];
      return o;
    };
    expect(comparable(parseConfig(env))).toEqual(comparable(defaults));
  });

  it(`zips every function under the ${ZIP_BUDGET_BYTES}-byte budget, with its handler module and source maps`, async () => {
    for (const fn of await functionNames(root)) {
      const archive = await readFile(join(dir, 'dist', 'lambda', `${fn}.zip`));
      expect(archive.length, fn).toBeLessThanOrEqual(ZIP_BUDGET_BYTES);
      const names = unzip(archive).map((e) => e.name);
      expect(names, fn).toContain(`${fn}.mjs`);
      expect(names, fn).toContain(`${fn}.mjs.map`);
      for (const n of names) expect(n, fn).toMatch(new RegExp(`^(${fn}|chunks/[\\w-]+)\\.mjs(\\.map)?$`));
    }
  });

  it('source maps point into the project only, the handler at its TypeScript file', async () => {
    for (const fn of await functionNames(root)) {
      const entries = unzip(await readFile(join(dir, 'dist', 'lambda', `${fn}.zip`)));
      const maps = entries.filter((e) => e.name.endsWith('.map'));
      const sources = (e: { data: Buffer }) => (JSON.parse(e.data.toString('utf8')) as { sources: string[] }).sources;
      for (const m of maps) for (const s of sources(m)) expect(s, `${fn}: ${m.name}`).not.toMatch(/node_modules/);
      const entryMap = maps.find((m) => m.name === `${fn}.mjs.map`)!;
      expect(
        sources(entryMap).some((s) => s.endsWith(`functions/${fn}.ts`)),
        fn,
      ).toBe(true);
    }
  });
});
