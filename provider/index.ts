// The component provider's entry point, package.json's `main`: the engine runs a plugin whose
// PulumiPlugin.yaml says `runtime: nodejs` through the Node.js language host, which spawns
// `node @pulumi/pulumi/cmd/run-plugin <plugin dir> <engine address>`
// (sdk/nodejs/cmd/pulumi-language-nodejs/main.go RunPlugin), and run-plugin `require`s the plugin
// folder, so `main`, not `exports` (sdk/nodejs/cmd/run-plugin/run.ts). It exports no
// ComponentResource class, so run-plugin leaves it to serve itself rather than starting
// componentProviderHost. TypeScript programs import the component through `exports` instead.
// The SDK's modules are loaded one by one, not through its index, which would load all of it: half
// a second of CPU before the first GetSchema (npm run bench:provider).
import { main } from "@pulumi/pulumi/provider/server";
import { GpuKarpenterProvider } from "./provider";

void main(new GpuKarpenterProvider(), process.argv.slice(2));
