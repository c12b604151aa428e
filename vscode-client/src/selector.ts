// Which documents the server sees. Terraform by language id (HashiCorp's extension owns
// `terraform`/`terraform-vars`; others use `hcl`) and by file pattern, so it works with and
// without that extension. All YAML/JSON goes to the server, which decides what is
// CloudFormation and stays quiet about everything else.
import type { DocumentFilter } from "vscode-languageclient/node";

const LANGUAGES = ["terraform", "terraform-vars", "hcl", "yaml", "json", "jsonc"];
const PATTERNS = ["**/*.tf", "**/*.tfvars", "**/*.tf.json", "**/*.{yaml,yml,json,template}"];

export const DOCUMENT_SELECTOR: DocumentFilter[] = [
  ...LANGUAGES.map((language) => ({ scheme: "file", language })),
  ...PATTERNS.map((pattern) => ({ scheme: "file", pattern })),
];
