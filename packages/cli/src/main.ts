#!/usr/bin/env node
import { Command } from "commander";
import { VERSION } from "@baton/runtime";
import { consoleCommand } from "./commands/console.js";
import { abortCommand, promoteCommand } from "./commands/control.js";
import { dlqCommand, eventsCommand, listCommand, replayCommand, statusCommand } from "./commands/read.js";
import { releaseCommand } from "./commands/release.js";
import { demoCommand } from "./commands/demo.js";
import { provisionCommand } from "./commands/provision.js";
import { devCommand, serveCommand, simCommand } from "./commands/run.js";
import { endQuietlyWhenReaderGoes, reportAndExit } from "./errors.js";

// `baton`: release, follow and debug releases; run the stages and the simulator.

// As a kubectl plugin (`kubectl baton …`, bin/kubectl-baton) the help names itself so.
const program = new Command(process.env.BATON_PROGRAM_NAME ?? "baton").version(VERSION).description("Release orchestrator for Kubernetes").showHelpAfterError();

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- commander passes (args…, options, command)
type Action = (...args: any[]) => Promise<void>;

// Commands that end (everything but dev, serve and sim, which run until stopped) end quietly when
// the reader of their output goes away.
const exitWith = (fn: (...args: never[]) => Promise<number>): Action => async (...args) => {
  endQuietlyWhenReaderGoes();
  try {
    process.exitCode = await fn(...(args as never[]));
  } catch (err) {
    reportAndExit(err);
  }
};
const run = (fn: (...args: never[]) => Promise<void>): Action => async (...args) => {
  try {
    await fn(...(args as never[]));
  } catch (err) {
    reportAndExit(err);
  }
};

program
  .command("release")
  .description("request a release (from flags or -f spec.yaml); prints its id; --watch follows it to the end")
  .option("-f, --file <path>", "release spec, YAML or JSON (flags override its fields)")
  .option("--app <name>")
  .option("-n, --namespace <name>", "default: default")
  .option("--image <ref>")
  .option("--replicas <n>")
  .option("--live-threshold <n>")
  .option("--port <n>")
  .option("--promotion <auto|manual>")
  .option("--shutdown-delay <seconds>")
  .option("--grace-period <seconds>")
  .option("--release-id <id>", "your own id: the same id again is the same release")
  .option("--by <who>", "recorded as the requester")
  .option("-w, --watch", "follow the release to its end; exit 0 completed, 1 failed, 3 rolled back, 4 rejected")
  .option("--timeout <seconds>", "stop watching after this long (exit 5)", "3600")
  .option("--json", "machine-readable output")
  .action(exitWith(releaseCommand as never));

program.command("status [releaseId]").description("a release's state (or the recent ones)").option("--json").action(exitWith(statusCommand as never));
program.command("list").description("recent releases with phase and age").option("--json").option("--limit <n>", "how many", "20").action(exitWith(((f: object) => listCommand(f)) as never));
program.command("events <releaseId>").description("a release's events from the stream, as a timeline").option("--json", "one JSON event a line").action(exitWith(eventsCommand as never));
program.command("replay <releaseId>").description("re-run the state machine over a release's events and compare with Redis").option("--json").action(exitWith(replayCommand as never));
program.command("promote <releaseId>").description("approve a release waiting for manual promotion").option("--by <who>").option("--json").action(exitWith(promoteCommand as never));
program
  .command("abort <releaseId>")
  .description("roll a release back (switching production back to v1 while v1 still runs)")
  .option("--reason <text>")
  .option("--by <who>")
  .option("--json")
  .action(exitWith(abortCommand as never));
program.command("dlq").description("messages parked in the dead-letter stream, with their errors").option("--json").action(exitWith(dlqCommand as never));
program
  .command("dev")
  .description("run all five stages in this process")
  .option("--sim", "also start kube-sim, the simulated cluster, in this process")
  .option("--kubeconfig <path>", "with --sim: where to write its kubeconfig; without: the cluster to use")
  .option("--port <n>", "kube-sim's API port (default: any free port)")
  .option("--console-port <n>", "the console's port on 127.0.0.1", "8081")
  .option("--no-console", "do not start the console")
  .option("--insecure-no-auth", "the console without sign-in (local development only; else BATON_CONSOLE_AUTH_FILE)")
  .action(run(devCommand as never));
program
  .command("serve <services...>")
  .description("run the named services: stages (planner, pod-manager, validator, traffic-switcher, reaper), console, notifier")
  .action(run(serveCommand as never));
program
  .command("console")
  .description("the console (web view of every release) on 127.0.0.1; sign-in from BATON_CONSOLE_AUTH_FILE")
  .option("--port <n>", "port (default 8081, or BATON_CONSOLE_PORT)")
  .option("--host <address>", "address to listen on", "127.0.0.1")
  .option("--auth-file <path>", "OIDC provider, static tokens and roles (YAML; or BATON_CONSOLE_AUTH_FILE)")
  .option("--insecure-no-auth", "start without sign-in: everyone is admin (local development only)")
  .action(run(consoleCommand as never));
program
  .command("sim")
  .description("start kube-sim alone and write its kubeconfig; with --node, join a kube-sim node to the cluster --kubeconfig names")
  .option("--kubeconfig <path>", "where to write kube-sim's kubeconfig (default: ~/.baton/kubeconfig); with --node: the cluster to join")
  .option("--port <n>", "API port (default: any free port)")
  .option("--node", "run only a kube-sim node (kubelet + kube-proxy) against any API server, until SIGINT/SIGTERM")
  .option("--node-name <name>", "with --node: the Node's name (default: kube-sim-<hostname>)")
  .option("--pod-cidr <cidr>", "with --node: pod addresses, a range local to this machine (default: 10.244.0.0/16; 127.1.0.0/16 needs no setup but only kube-sim accepts it)")
  .option("--service-proxy <mode>", "with --node: cluster-ip (Services listen on their ClusterIPs, the Service range local here; default) or loopback (a published loopback port each)")
  .action(run(simCommand as never));

program
  .command("provision")
  .description("create or update the JetStream streams (run once with an admin NATS user; then stages can run with BATON_MANAGE_STREAMS=false)")
  .option("--json")
  .action(exitWith(provisionCommand as never));

program
  .command("demo")
  .description("kube-sim and all stages in this process: v1, then v2 under production traffic, a v3 that is rolled back, and a v4 switched back after the switch by its metrics")
  .option("--kubeconfig <path>", "where to write kube-sim's kubeconfig")
  .option("--console-port <n>", "the console's port on 127.0.0.1 (default: any free port)")
  .option("--no-console", "do not start the console")
  .option("--hold", "keep kube-sim, the stages and the console up after the summary until Ctrl-C (the default in a terminal)")
  .option("--no-hold", "exit after the summary")
  .action(exitWith(demoCommand as never));

await program.parseAsync(process.argv);
