/**
 * Simulated Salesforce REST API at the instance URL: the versions list (`GET /services/data/`,
 * no auth) and the org limits (`GET /services/data/vXX.X/limits`, Bearer access token), with
 * Salesforce's `[{message, errorCode}]` errors.
 */
import { simulator } from "../lib.ts";
import { validBearer } from "./other.ts";

export const salesforce = simulator();

const sfError = (status: number, errorCode: string, message: string) =>
  Response.json([{ message, errorCode }], { status });

const VERSIONS = [
  { label: "Winter '25", url: "/services/data/v62.0", version: "62.0" },
  { label: "Spring '25", url: "/services/data/v63.0", version: "63.0" },
  { label: "Summer '25", url: "/services/data/v64.0", version: "64.0" },
];

salesforce.get("/services/data", (c) => c.json(VERSIONS));
salesforce.get("/services/data/", (c) => c.json(VERSIONS));

salesforce.get("/services/data/:version/limits", (c) => {
  if (!validBearer(c.req.header("authorization"))) {
    return sfError(401, "INVALID_SESSION_ID", "Session expired or invalid");
  }
  if (!/^v\d+\.\d$/.test(c.req.param("version"))) {
    return sfError(404, "NOT_FOUND", "The requested resource does not exist");
  }
  const limit = (max: number, used = 0) => ({ Max: max, Remaining: max - used });
  return c.json(
    {
      ConcurrentAsyncGetReportInstances: limit(200),
      DailyApiRequests: limit(15000, 2),
      DailyAsyncApexExecutions: limit(250000),
      DailyBulkV2QueryJobs: limit(10000),
      DataStorageMB: limit(5),
      FileStorageMB: limit(20),
    },
    200,
    { "sforce-limit-info": "api-usage=2/15000" },
  );
});
