/**
 * A minimal S3 on a loopback HTTP server: PUT, GET and DELETE of objects in
 * one bucket, kept in memory. Every request must carry an AWS Signature V4
 * that this server verifies itself (the credential scope, the signed
 * headers, the signature over the canonical request with its own copy of
 * the secret), and a PUT's x-amz-content-sha256 must be the SHA-256 of the
 * body it sent. Anything else is a 403 and is recorded in `refusals`.
 */
import { createHash, createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeS3 {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** object key → bytes */
  objects: Map<string, Buffer>;
  /** why requests were refused (a test expects none) */
  refusals: string[];
  /** every request, as `METHOD /path` */
  requests: string[];
  /** answer every request with this status instead (a failing bucket) */
  failWith: number | null;
  close(): Promise<void>;
}

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([a-z0-9-]+)\/s3\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{8})T\d{6}Z$/;
const EMPTY_SHA256 = createHash("sha256").update("").digest("hex");

const hmac = (key: Buffer | string, data: string) => createHmac("sha256", key).update(data).digest();
const sha256 = (data: Buffer | string) => createHash("sha256").update(data).digest("hex");

function header(req: IncomingMessage, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(",") : value ?? "";
}

/** What is wrong with the request's signature, or null when it verifies. */
function signatureProblem(s3: FakeS3, req: IncomingMessage, body: Buffer): string | null {
  const m = AUTHORIZATION.exec(header(req, "authorization"));
  if (!m) return `malformed Authorization: ${header(req, "authorization")}`;
  const [, accessKeyId, date, region, signedHeaders, signature] = m as unknown as [string, string, string, string, string, string];
  if (accessKeyId !== s3.accessKeyId) return `unknown access key ${accessKeyId}`;
  if (region !== s3.region) return `wrong region ${region}`;
  const amzDate = header(req, "x-amz-date");
  const dm = AMZ_DATE.exec(amzDate);
  if (!dm || dm[1] !== date) return `x-amz-date ${amzDate} does not match the credential's date ${date}`;
  const names = signedHeaders.split(";");
  for (const required of ["host", "x-amz-content-sha256", "x-amz-date"]) {
    if (!names.includes(required)) return `${required} is not signed (${signedHeaders})`;
  }
  const payloadHash = header(req, "x-amz-content-sha256");
  if (req.method === "PUT") {
    if (payloadHash !== sha256(body)) return `x-amz-content-sha256 ${payloadHash} is not the SHA-256 of the body`;
  } else if (payloadHash !== "UNSIGNED-PAYLOAD" && payloadHash !== EMPTY_SHA256) {
    return `x-amz-content-sha256 ${payloadHash} for a request without a body`;
  }
  const url = new URL(req.url ?? "/", "http://s3.invalid");
  const query = [...url.searchParams].map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).sort().join("&");
  const canonicalHeaders = names.map((n) => `${n}:${header(req, n).trim().replace(/\s+/g, " ")}\n`).join("");
  const canonicalRequest = [req.method, url.pathname, query, canonicalHeaders, signedHeaders, payloadHash].join("\n");
  const scope = `${date}/${region}/s3/aws4_request`;
  const stringToSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonicalRequest)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${s3.secretAccessKey}`, date), region), "s3"), "aws4_request");
  if (createHmac("sha256", key).update(stringToSign).digest("hex") !== signature) return "the signature does not verify";
  return null;
}

export async function startFakeS3(): Promise<FakeS3> {
  const s3: FakeS3 = {
    endpoint: "",
    bucket: "plein-media",
    region: "eu-west-1",
    accessKeyId: "AKIAPLEINTEST",
    secretAccessKey: "secret/for+the+fake+bucket",
    objects: new Map(),
    refusals: [],
    requests: [],
    failWith: null,
    close: async () => {},
  };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = new URL(req.url ?? "/", "http://s3.invalid").pathname;
    s3.requests.push(`${req.method} ${path}`);
    if (s3.failWith !== null) return void res.writeHead(s3.failWith, { "content-type": "application/xml" }).end("<Error><Code>InternalError</Code></Error>");
    const problem = signatureProblem(s3, req, body);
    if (problem) {
      s3.refusals.push(`${req.method} ${path}: ${problem}`);
      return void res.writeHead(403, { "content-type": "application/xml" }).end("<Error><Code>SignatureDoesNotMatch</Code></Error>");
    }
    const prefix = `/${s3.bucket}/`;
    if (!path.startsWith(prefix)) return void res.writeHead(404).end("<Error><Code>NoSuchBucket</Code></Error>");
    const key = path.slice(prefix.length);
    switch (req.method) {
      case "PUT":
        s3.objects.set(key, body);
        return void res.writeHead(200, { etag: `"${createHash("md5").update(body).digest("hex")}"` }).end();
      case "GET": {
        const object = s3.objects.get(key);
        if (!object) return void res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code></Error>");
        return void res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(object.length) }).end(object);
      }
      case "DELETE":
        s3.objects.delete(key);
        return void res.writeHead(204).end();
      default:
        return void res.writeHead(405).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  s3.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  s3.close = () => new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  return s3;
}
