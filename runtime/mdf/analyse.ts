/**
 * The whole reading of one `.mdf` that `check` prints and `start` acts on: load it as MMDAgent-EX
 * does, derive the connection plan, and collect every finding (plan, per-key lint, AnyScript).
 */
import { type Finding, MdfError } from "./finding.ts";
import { loadMdf, type MdfDocument } from "./layer.ts";
import { type MmdagentSide, planConnection, type PlanOptions } from "./plan.ts";
import { lintMdf } from "./lint.ts";
import { type AnyScriptCommand, lintAnyScript } from "./anyscript.ts";
import type { ConnectionPlan } from "./plan_types.ts";

/** Options of {@link analyseMdf}. */
export interface AnalyseOptions extends PlanOptions {
  systemMdf?: string;
}

/** The parts of a report that come from an `.mdf`. */
export interface MdfAnalysis {
  doc?: MdfDocument;
  plan: ConnectionPlan;
  mmdagent?: MmdagentSide;
  anyScript: AnyScriptCommand[];
  findings: Finding[];
}

/** Loads, plans and lints an `.mdf`; an unreadable file becomes an error finding. */
export async function analyseMdf(path: string, options: AnalyseOptions = {}): Promise<MdfAnalysis> {
  let doc: MdfDocument;
  try {
    doc = await loadMdf(path, { systemPath: options.systemMdf });
  } catch (e) {
    if (!(e instanceof MdfError)) throw e;
    return {
      plan: { mode: "none", reason: "the .mdf could not be read" },
      anyScript: [],
      findings: [e.toFinding()],
    };
  }
  const planned = planConnection(doc, options);
  // Whether MMDAgent-EX itself opens a Plugin_Remote socket: from its keys, not from our plan
  // (`--stdio` plans stdio for a file that has no socket at all).
  const side = planned.mmdagent;
  const remote = side !== undefined && side.pluginLoaded &&
    (side.tcpServer !== undefined || side.tcpClient !== undefined || side.websocket !== undefined);
  return {
    doc,
    plan: planned.plan,
    mmdagent: planned.mmdagent,
    anyScript: planned.anyScript,
    findings: [
      ...planned.findings,
      ...lintMdf(doc, planned),
      ...await lintAnyScript(doc, planned.anyScript, remote),
    ],
  };
}
