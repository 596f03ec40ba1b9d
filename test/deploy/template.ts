import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The slice of a CloudFormation template the deploy tests read. */
export interface Resource {
  Type: string;
  Properties: Record<string, unknown>;
  DeletionPolicy?: string;
  UpdateReplacePolicy?: string;
}
export interface Template {
  Resources: Record<string, Resource>;
}

export interface Statement {
  Sid?: string;
  Effect: string;
  Action: string[];
  Resource: unknown[];
}

export function readTemplate(file: string): Template {
  return JSON.parse(readFileSync(file, 'utf8')) as Template;
}

export const ofType = (t: Template, type: string): [string, Resource][] =>
  Object.entries(t.Resources).filter(([, r]) => r.Type === type);

/** The only resource of `type`; throws when there are none or several. */
export function single(t: Template, type: string): Resource {
  const all = ofType(t, type);
  if (all.length !== 1) throw new Error(`expected one ${type}, found ${all.length}`);
  return all[0]![1];
}

/** Logical id of the Lambda that `Fn::GetAtt: [X, 'Arn']` (possibly nested) points at. */
export function getAttTarget(value: unknown): string | undefined {
  const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })?.['Fn::GetAtt'];
  return getAtt?.[1] === 'Arn' ? getAtt[0] : undefined;
}

/** Route key → the logical id of the Lambda its integration invokes. */
export function routeTargets(t: Template): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const [, route] of ofType(t, 'AWS::ApiGatewayV2::Route')) {
    const join = (route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] })['Fn::Join'];
    const integration = t.Resources[join[1][1].Ref];
    out.set(route.Properties.RouteKey as string, getAttTarget(integration?.Properties.IntegrationUri));
  }
  return out;
}

/** Logical id → FunctionName of every Lambda. */
export function lambdaNames(t: Template): Map<string, string> {
  return new Map(ofType(t, 'AWS::Lambda::Function').map(([id, r]) => [id, r.Properties.FunctionName as string]));
}

export function roleStatements(t: Template): Statement[] {
  return ofType(t, 'AWS::IAM::Role').flatMap(([, role]) =>
    (role.Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[]).flatMap(
      (p) => p.PolicyDocument.Statement,
    ),
  );
}

const COMMAND_TO_ACTION: Record<string, string | string[]> = {
  Get: 'dynamodb:GetItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  Query: 'dynamodb:Query',
  Scan: 'dynamodb:Scan',
  BatchGet: 'dynamodb:BatchGetItem',
  BatchWrite: 'dynamodb:BatchWriteItem',
  TransactGet: 'dynamodb:TransactGetItems',
  // No IAM action of its own: each Put, Update, Delete in it needs PutItem, UpdateItem, DeleteItem
  // ("Using IAM with DynamoDB transactions", DynamoDB developer guide). The store's transactions
  // put and update (dynamodb-quota.ts, dynamodb-idempotency.ts); a ConditionCheck would add ConditionCheckItem.
  TransactWrite: ['dynamodb:PutItem', 'dynamodb:UpdateItem'],
};

/**
 * Table management (ensureTable: Create/DescribeTable, Describe/UpdateTimeToLive) only ever talks to
 * DynamoDB Local — store-deps calls it only when DYNAMODB_ENDPOINT is set, which the deployed
 * environment never is; in AWS, CloudFormation owns the table. So these are never granted.
 */
const isTableManagement = (cmd: string) => /Table|TimeToLive|Backup|Tags?Resource/.test(cmd);

/**
 * The DynamoDB actions production code can call, read from the `...Command` imports of every file
 * under shared/ — so adding a command without granting it (or granting one nobody uses) fails.
 */
export function dynamoDbActionsUsed(root: string): Set<string> {
  const actions = new Set<string>();
  const files = readdirSync(join(root, 'shared'), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => join(e.parentPath, e.name));
  for (const file of files) {
    const src = readFileSync(file, 'utf8');
    for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*'@aws-sdk\/(?:client-dynamodb|lib-dynamodb)'/g)) {
      for (const spec of m[1]!.split(',')) {
        const cmd = /^\s*(?:type\s+)?(\w+)Command\s*$/.exec(spec)?.[1];
        if (!cmd || /^\s*type\s/.test(spec) || isTableManagement(cmd)) continue;
        const action = COMMAND_TO_ACTION[cmd];
        if (!action) throw new Error(`${relative(root, file)} uses ${cmd}Command: map it to an IAM action`);
        for (const a of [action].flat()) actions.add(a);
      }
    }
  }
  return actions;
}
