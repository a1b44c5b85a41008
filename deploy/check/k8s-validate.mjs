// Validates every document of every *.yaml file in a folder against the Kubernetes OpenAPI schemas, the way the API
// server would with `kubectl apply --validate=strict`:
//   1. the kind's JSON-schema validator from kubernetes-models (generated from Kubernetes' own OpenAPI spec: types,
//      required fields, enums, formats), and
//   2. no field that the schema does not define (those generated validators let unknown fields through, and a typo
//      such as `readinesProbe` would silently drop a probe): each object is walked along the model's type
//      declarations (.d.ts), which list every field of every definition.
// Documents without a Kubernetes apiVersion (kustomization.yaml) are skipped and named.
// Usage: node k8s-validate.mjs <folder>; prints one line per document, exit 1 on any error.
import { readFileSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const folder = process.argv[2];
if (!folder) {
  console.error("usage: node k8s-validate.mjs <folder>");
  process.exit(2);
}

// ---- type declarations: "IName" -> { props: Map(name -> type text), imports: Map(IName -> file) } ------------------
const declarations = new Map();
function declarationsOf(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = readFileSync(file, "utf8");
  const imports = new Map();
  for (const m of text.matchAll(/^import \{ (I\w+) \} from "([^"]+)";$/gm)) {
    const target = m[2].startsWith(".") ? join(dirname(file), m[2].replace(/\.js$/, ".d.ts")) : join(modules, m[2] + ".d.ts");
    imports.set(m[1], target);
  }
  const start = text.search(/^export interface I\w+( extends [\w, ]+)? \{$/m);
  const body = text.slice(start, text.indexOf("\n}\n", start));
  const props = new Map();
  let current = null;
  for (const line of body.split("\n").slice(1)) {
    const p = /^ {4}"([^"]+)"\??: (.*)$/.exec(line);
    if (p) {
      current = p[1];
      props.set(current, p[2]);
    } else if (current && !/^\s*(\/\*\*|\*)/.test(line)) {
      props.set(current, props.get(current) + " " + line.trim());
    }
  }
  const decl = { props, imports, extendsTypeMeta: /extends TypeMeta/.test(body.split("\n")[0]) };
  declarations.set(file, decl);
  return decl;
}

// Walks value along the declaration in file; reports unknown fields with their path.
function walk(value, file, path, errors) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return;
  const decl = declarationsOf(file);
  if (decl.props.size === 0) return; // free-form (e.g. RawExtension)
  for (const [key, child] of Object.entries(value)) {
    const type = decl.props.get(key);
    if (type === undefined) {
      errors.push(`${path}/${key}: unknown field (not in the schema of ${path || "the object"})`);
      continue;
    }
    const refs = [...type.matchAll(/\bI\w+\b/g)].map((m) => m[0]).filter((n) => decl.imports.has(n));
    if (refs.length !== 1) continue; // primitive, IntOrString, Quantity, or a union we do not descend into
    const target = decl.imports.get(refs[0]);
    if (/^\{ \[key: string\]/.test(type)) {
      for (const [k, v] of Object.entries(child ?? {})) walk(v, target, `${path}/${key}/${k}`, errors);
    } else if (/^Array</.test(type)) {
      (child ?? []).forEach((v, i) => walk(v, target, `${path}/${key}/${i}`, errors));
    } else {
      walk(child, target, `${path}/${key}`, errors);
    }
  }
}

// ---- every document of every file --------------------------------------------------------------------------------------
let failed = 0;
let checked = 0;
for (const name of readdirSync(folder).filter((n) => /\.ya?ml$/.test(n)).sort()) {
  const docs = parseAllDocuments(readFileSync(join(folder, name), "utf8"));
  for (const [i, doc] of docs.entries()) {
    const where = `${name}#${i}`;
    if (doc.errors.length > 0) {
      console.log(`FAIL ${where}: YAML: ${doc.errors.map((e) => e.message).join("; ")}`);
      failed++;
      continue;
    }
    const obj = doc.toJS();
    if (obj === null || obj === undefined) continue;
    const { apiVersion, kind } = obj;
    if (typeof apiVersion !== "string" || apiVersion.startsWith("kustomize.config.k8s.io/")) {
      console.log(`skip ${where}: ${kind ?? "no kind"} (${apiVersion ?? "no apiVersion"}) is not a Kubernetes API object`);
      continue;
    }
    const errors = [];
    let model;
    try {
      model = (await import(`kubernetes-models/${apiVersion}`))[kind];
    } catch {
      model = undefined;
    }
    if (typeof model !== "function") {
      console.log(`FAIL ${where}: unknown apiVersion/kind ${apiVersion} ${kind}`);
      failed++;
      continue;
    }
    try {
      new model(obj).validate();
    } catch (e) {
      for (const err of e.errors ?? [{ instancePath: "", message: String(e) }]) {
        errors.push(`${err.instancePath || "/"}: ${err.message}${err.params ? " " + JSON.stringify(err.params) : ""}`);
      }
    }
    walk(obj, join(modules, "kubernetes-models", apiVersion, `${kind}.d.ts`), "", errors);
    checked++;
    if (errors.length > 0) {
      failed++;
      console.log(`FAIL ${where}: ${apiVersion} ${kind} ${obj.metadata?.name ?? ""}`);
      for (const e of errors) console.log(`  ${e}`);
    } else {
      console.log(`ok   ${where}: ${apiVersion} ${kind} ${obj.metadata?.name ?? ""}`);
    }
  }
}
console.log(`${checked} objects checked, ${failed} failed`);
process.exit(failed > 0 || checked === 0 ? 1 : 0);
