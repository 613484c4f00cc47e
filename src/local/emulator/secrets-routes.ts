import { notFound } from "./api-error.js";
import { param, type Reply, type Route, type RouteContext } from "./router.js";

// Every emulated secret has one version, which holds both the CURRENT and the LATEST stage.
const STAGES = ["CURRENT", "LATEST"];

function getSecretBundle(ctx: RouteContext): Reply {
  const id = param(ctx, "secretId");
  const secret = ctx.state.secrets.get(id);
  const missing = notFound("NotAuthorizedOrNotFound", `Secret ${id} does not exist or you are not authorized to access it`);
  if (!secret) throw missing;
  const versionNumber = ctx.query.get("versionNumber");
  if (versionNumber && Number(versionNumber) !== secret.versionNumber) throw missing;
  const stage = ctx.query.get("stage");
  if (stage && !STAGES.includes(stage)) throw missing;
  if (ctx.query.get("secretVersionName")) throw missing;
  return {
    status: 200,
    headers: { etag: `${secret.id.slice(-12)}-${secret.versionNumber}` },
    json: {
      secretId: secret.id,
      versionNumber: secret.versionNumber,
      stages: STAGES,
      timeCreated: secret.timeCreated,
      secretBundleContent: { contentType: "BASE64", content: secret.content.toString("base64") },
    },
  };
}

export const secretsRoutes: readonly Route[] = [
  { method: "GET", pattern: "/20190301/secretbundles/:secretId", operation: "GetSecretBundle", handler: getSecretBundle },
];
