import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Users read the SDK through their editor: every export of `client/` carries TSDoc, and so does
 * every member of what the public entries (`upload.ts`, `node-source.ts`) export.
 */

const root = join(import.meta.dirname, '../..');
const clientDir = join(root, 'client');
const ENTRIES = ['upload.ts', 'node-source.ts'].map((f) => join(clientDir, f));

function clientFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? clientFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

const program = ts.createProgram(clientFiles(clientDir), {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  allowImportingTsExtensions: true,
  noEmit: true,
  skipLibCheck: true,
  types: [],
});
const checker = program.getTypeChecker();
const where = (node: ts.Node) => {
  const sf = node.getSourceFile();
  return `${relative(root, sf.fileName)}:${sf.getLineAndCharacterOfPosition(node.getStart()).line + 1}`;
};
const hasDoc = (node: ts.Node) => ts.getJSDocCommentsAndTags(node).length > 0;
const inClient = (node: ts.Node) => node.getSourceFile().fileName.startsWith(clientDir);

describe('TSDoc', () => {
  it('every exported declaration in client/ has a doc comment', () => {
    const missing: string[] = [];
    for (const sf of program.getSourceFiles()) {
      if (!sf.fileName.startsWith(clientDir)) continue;
      for (const st of sf.statements) {
        const exported =
          ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (!exported) continue;
        if (!hasDoc(st)) missing.push(where(st));
      }
    }
    expect(missing).toEqual([]);
  });

  it('every member of what the public entries export has a doc comment', () => {
    const missing = new Set<string>();
    const seen = new Set<ts.Symbol>();
    const visitSymbol = (symbol: ts.Symbol) => {
      const s = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      if (seen.has(s)) return;
      seen.add(s);
      for (const decl of s.declarations ?? []) {
        if (!inClient(decl)) continue;
        if (!hasDoc(decl)) missing.add(`${where(decl)} ${s.name}`);
        if (ts.isInterfaceDeclaration(decl) || ts.isClassDeclaration(decl)) {
          for (const member of decl.members) {
            const isPrivate = ts.canHaveModifiers(member)
              ? ts.getModifiers(member)?.some((m) => m.kind === ts.SyntaxKind.PrivateKeyword)
              : false;
            if (isPrivate || member.name === undefined || ts.isPrivateIdentifier(member.name)) continue;
            if (!hasDoc(member)) missing.add(`${where(member)} ${s.name}.${member.name.getText()}`);
          }
        }
      }
    };
    for (const entry of ENTRIES) {
      const module = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
      for (const symbol of checker.getExportsOfModule(module)) visitSymbol(symbol);
    }
    expect([...missing]).toEqual([]);
  });
});
