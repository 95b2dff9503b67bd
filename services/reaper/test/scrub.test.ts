import { describe, expect, test } from "vitest";
import { connectionSecrets, scrubber } from "../src/activities/failure.js";
import { safeUrl } from "../src/activities/webhook.js";

// Errors of pg and fetch can echo a connection string or a token: what reaches a log line or an
// event goes through the scrubber first.

describe("scrubbing secrets out of error messages", () => {
  test("a URL connection string: the whole string, the password raw and URL-encoded are all hidden", () => {
    const url = "postgres://app:p%40ss%3Aw0rd@db.internal:5432/shop?sslmode=require";
    const scrub = scrubber(connectionSecrets(url));
    const out = scrub(`connect to ${url} failed; password p@ss:w0rd rejected; raw p%40ss%3Aw0rd`);
    expect(out).not.toContain("p@ss:w0rd");
    expect(out).not.toContain("p%40ss%3Aw0rd");
    expect(out).toContain("password *** rejected");
  });

  test("a key=value connection string: the password is hidden, quoted or not", () => {
    const cases = [
      ["host=db user=app password=s3cr3t-x dbname=shop", "s3cr3t-x"],
      ["host=db password='it\\'s secret' dbname=shop", "it's secret"],
    ] as const;
    for (const [conn, pw] of cases) {
      const out = scrubber(connectionSecrets(conn))(`login failed (${pw})`);
      expect(out).toBe("login failed (***)");
    }
  });

  test("credentials in any other URL are masked too, and webhook URLs lose their query in messages", () => {
    expect(scrubber([])("proxy http://bob:hunter2@proxy:3128 refused")).toBe("proxy http://bob:***@proxy:3128 refused");
    expect(safeUrl("https://u:p@hooks.example.com/release?token=abc")).toBe("https://hooks.example.com/release");
  });
});
