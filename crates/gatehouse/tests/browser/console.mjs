// Drives the web console in headless Chromium through the article's scenario: sign in,
// upload the client certificates, set the certificate policy (an error shown at its line
// first), test the operation with the right and the wrong certificate, open the trace and
// find the thumbprint, then the overview, the keys and the effective policy. Screenshots go
// to SCREENSHOT_DIR. Run by crates/gatehouse/tests/console_browser.rs, which starts the
// gateway and passes everything through the environment.

import path from 'node:path';
import { pathToFileURL } from 'node:url';

const env = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const { chromium } = await import(pathToFileURL(path.join(env('PLAYWRIGHT_CORE'), 'index.mjs')).href);
const consoleUrl = env('CONSOLE_URL');
const gatewayUrl = env('GATEWAY_URL');
const token = env('ADMIN_TOKEN');
const shots = env('SCREENSHOT_DIR');
const clientA = { pfx: env('CLIENT_A_PFX'), password: env('CLIENT_A_PASSWORD'), thumbprint: env('CLIENT_A_THUMBPRINT') };
const clientB = { pfx: env('CLIENT_B_PFX'), password: env('CLIENT_B_PASSWORD'), thumbprint: env('CLIENT_B_THUMBPRINT') };
const expiredPem = env('EXPIRED_PEM');
// Issued by the gateway's local CA: playwright's client-certificate support did not complete
// handshakes with the self-signed openssl certificates above.
const browserClient = { pfx: env('BROWSER_PFX'), password: env('BROWSER_PASSWORD'), thumbprint: env('BROWSER_THUMBPRINT') };

const TIMEOUT = 15000;
let passed = 0;

async function step(name, action) {
  const started = Date.now();
  await action();
  passed += 1;
  console.log(`ok ${passed} - ${name} (${Date.now() - started} ms)`);
}

function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

function articlePolicy(thumbprint, condition = 'context.Request.Certificate == null || context.Request.Certificate.Thumbprint != ') {
  return `<policies>
    <inbound>
        <base />
        <choose>
            <when condition="@(${condition}"${thumbprint}")">
                <return-response>
                    <set-status code="403" reason="Invalid client certificate" />
                </return-response>
            </when>
        </choose>
    </inbound>
    <backend>
        <base />
    </backend>
    <outbound>
        <base />
    </outbound>
    <on-error>
        <base />
    </on-error>
</policies>
`;
}

/** The cors policy the Test tab suggests for sending directly from the console's origin. */
function corsPolicy(origin) {
  return `<base />
        <cors allow-credentials="true">
            <allowed-origins><origin>${origin}</origin></allowed-origins>
            <allowed-methods><method>GET</method></allowed-methods>
            <allowed-headers><header>Ocp-Apim-Subscription-Key</header><header>Ocp-Apim-Trace</header></allowed-headers>
            <expose-headers><header>Ocp-Apim-Trace-Location</header></expose-headers>
        </cors>`;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-sync', '--no-first-run', `--ignore-certificate-errors-spki-list=${env('ADMIN_SPKI')}`],
});
const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
const page = await context.newPage();
page.setDefaultTimeout(TIMEOUT);
const problems = [];
page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
// Chromium logs every 4xx answer to fetch as a console error; the console expects some (a
// refused token, a scope without a policy), so only script errors count.
page.on('console', (message) => {
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) problems.push(`console error: ${message.text()}`);
});
const shot = (name) => page.screenshot({ path: path.join(shots, name), fullPage: true });
const nav = (name) => page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name, exact: true }).click();

try {
  await step('the console asks for the token, refuses a wrong one and signs in with the right one', async () => {
    await page.goto(consoleUrl);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('That token was refused').waitFor();
    await shot('01-sign-in-refused.png');
    await page.getByLabel('Admin token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    check(!page.url().includes(token), 'the token is not in the URL');
    check(await page.evaluate(() => sessionStorage.getItem('gatehouse.adminToken')) === token, 'the token is in sessionStorage');
  });

  await step('a PFX with a wrong password is refused with a message that says so', async () => {
    await nav('Certificates');
    await page.locator('input[type=file]').setInputFiles(clientA.pfx);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('wrong password').waitFor();
  });

  await step('the PFX certificates and an expired PEM certificate upload and list with their thumbprints', async () => {
    await page.getByLabel('Password').fill(clientA.password);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('cell', { name: clientA.thumbprint }).waitFor();
    await page.locator('input[type=file]').setInputFiles(clientB.pfx);
    await page.getByLabel('Password').fill(clientB.password);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('cell', { name: clientB.thumbprint }).waitFor();
    await page.locator('input[type=file]').setInputFiles(expiredPem);
    await page.getByLabel('Certificate id').fill('expired-client');
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByRole('row', { name: /expired-client/ }).getByText('expired', { exact: true }).waitFor();
    await shot('02-certificates.png');
  });

  await step('the policy editor shows a compile error at its line and column before saving', async () => {
    await page.goto(`${consoleUrl}#/policies?scope=${encodeURIComponent('apis/echo-api')}`);
    const editor = page.getByLabel('Policy document');
    await editor.waitFor();
    const broken = articlePolicy(clientA.thumbprint, 'context.Request.Certificate == null || context.Request.Certficate.Thumbprint != ');
    await editor.fill(broken);
    const line = broken.split('\n').findIndex((l) => l.includes('condition=')) + 1;
    await page.getByTestId('verdict').filter({ hasText: /error/ }).waitFor();
    const problem = await page.locator('.problem-list li').first().innerText();
    check(problem.startsWith(`Line ${line}, column `), `the first error is on line ${line}: ${problem}`);
    await page.locator('.problem-list button').first().click();
    await shot('03-policy-error-at-line.png');
  });

  await step('the article\'s policy compiles and saves', async () => {
    await page.getByLabel('Policy document').fill(articlePolicy(clientA.thumbprint));
    await page.getByTestId('verdict').filter({ hasText: 'Compiles' }).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved; the gateway uses it').waitFor();
    await shot('04-policy-saved.png');
  });

  const send = async (certificate) => {
    await page.getByRole('combobox', { name: 'Client certificate', exact: true }).selectOption(certificate);
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByTestId('status').waitFor();
    return page.getByTestId('status').innerText();
  };

  await step('the Test tab with the right certificate gets 200 and a trace with its thumbprint', async () => {
    await nav('APIs');
    await page.getByRole('link', { name: 'Echo API' }).click();
    await page.getByRole('link', { name: 'Retrieve resource' }).click();
    await page.getByLabel('Query string').fill('param1=sample');
    await page.getByLabel('Subscription key from').selectOption('demo');
    await page.locator('.header-row input[type=password]').waitFor();
    const status = await send('client-a');
    check(status === '200 OK', `status with client A: ${status}`);
    const card = await page.getByTestId('thumbprint').innerText();
    check(card === clientA.thumbprint, `the trace card shows client A's thumbprint: ${card}`);
    await shot('05-test-right-certificate.png');
  });

  await step('the Test tab with the wrong certificate gets 403 Invalid client certificate', async () => {
    const status = await send('client-b');
    check(status === '403 Invalid client certificate', `status with client B: ${status}`);
    await page.locator('.trace .source', { hasText: 'return-response' }).first().waitFor();
    await shot('06-test-wrong-certificate.png');
  });

  await step('the trace viewer opens the 200 trace with the certificate card and raw JSON', async () => {
    await nav('Traces');
    await page.getByRole('listitem').filter({ hasText: '200 OK' }).getByRole('link').click();
    const thumbprint = await page.getByTestId('thumbprint').innerText();
    check(thumbprint === clientA.thumbprint, `trace viewer thumbprint: ${thumbprint}`);
    await page.locator('.trace .source', { hasText: 'forward-request' }).first().waitFor();
    await shot('07-trace-viewer.png');
    await page.getByRole('button', { name: 'Raw JSON' }).click();
    const raw = await page.locator('pre.raw').innerText();
    check(raw.includes(`"thumbprint": "${clientA.thumbprint}"`), 'the raw JSON holds the thumbprint');
    await shot('08-trace-raw-json.png');
  });

  await step('the overview lists the requests with their reasons', async () => {
    await nav('Overview');
    await page.getByRole('cell', { name: /certificate refused/ }).first().waitFor();
    await page.getByRole('cell', { name: /allowed/ }).first().waitFor();
    await shot('09-overview.png');
  });

  await step('subscription keys are shown on request', async () => {
    await nav('Subscriptions');
    await page.getByRole('row', { name: /demo/ }).getByRole('button', { name: 'Show keys' }).click();
    const key = await page.getByTestId('key-primary').innerText();
    check(/^[0-9a-f]{32}$/.test(key), `a primary key is shown: ${key}`);
    await shot('10-subscriptions-keys.png');
  });

  await step('the effective policy resolves <base /> for a product key', async () => {
    await page.goto(`${consoleUrl}#/apis/echo-api/operations/retrieve-resource?tab=policy`);
    await page.getByLabel('As called with a key of').selectOption('starter');
    await page.getByTestId('effective-policy').filter({ hasText: 'from product starter' }).or(page.getByTestId('effective-policy').filter({ hasText: 'from API echo-api' })).first().waitFor();
    const text = await page.getByTestId('effective-policy').innerText();
    check(text.includes('Invalid client certificate') && !text.includes('<base'), 'the API policy is inlined without <base />');
    await shot('11-effective-policy.png');
  });

  await step('sending directly from the browser works once the API has the cors policy the tab suggests', async () => {
    const origin = new URL(consoleUrl).origin;
    await page.goto(`${consoleUrl}#/policies?scope=${encodeURIComponent('apis/echo-api')}`);
    const editor = page.getByLabel('Policy document');
    await editor.waitFor();
    await editor.fill(articlePolicy(browserClient.thumbprint).replace('<base />', corsPolicy(origin)));
    await page.getByTestId('verdict').filter({ hasText: 'Compiles' }).waitFor();
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText('Saved; the gateway uses it').waitFor();

    // The browser's own certificate: playwright presents the PFX when the gateway asks,
    // as a browser does with a certificate from the system's store.
    const direct = await browser.newContext({
      viewport: { width: 1366, height: 900 },
      clientCertificates: [{ origin: gatewayUrl, pfxPath: browserClient.pfx, passphrase: browserClient.password }],
    });
    const tab = await direct.newPage();
    tab.setDefaultTimeout(TIMEOUT);
    tab.on('pageerror', (error) => problems.push(`page error (direct): ${error.message}`));
    try {
      await sendDirectly(tab);
    } catch (error) {
      await tab.screenshot({ path: path.join(shots, 'failure-direct.png'), fullPage: true }).catch(() => {});
      throw error;
    } finally {
      await direct.close();
    }
  });

  async function sendDirectly(tab) {
    await tab.goto(`${consoleUrl}#/apis/echo-api/operations/retrieve-resource`);
    await tab.getByLabel('Admin token').fill(token);
    await tab.getByRole('button', { name: 'Sign in' }).click();
    await tab.getByLabel('Query string').fill('param1=sample');
    await tab.getByLabel('Subscription key from').selectOption('demo');
    await tab.locator('.header-row input[type=password]').waitFor();
    await tab.getByRole('radio', { name: /Directly from the browser/ }).check();
    await tab.getByRole('button', { name: 'Send', exact: true }).click();
    await tab.getByTestId('status').waitFor();
    const status = await tab.getByTestId('status').innerText();
    check(status.startsWith('200'), `status sent directly: ${status}`);
    const thumbprint = await tab.getByTestId('thumbprint').innerText();
    check(thumbprint === browserClient.thumbprint, `the browser's certificate reached the gateway: ${thumbprint}`);
    await tab.screenshot({ path: path.join(shots, '12-sent-directly-from-the-browser.png'), fullPage: true });
  }

  await step('signing out forgets the token', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    check(await page.evaluate(() => sessionStorage.getItem('gatehouse.adminToken')) === null, 'the token is gone');
  });

  check(problems.length === 0, `no script errors in the page:\n${problems.join('\n')}`);
  console.log(`${passed} passed, 0 failed`);
} catch (error) {
  await shot('failure.png').catch(() => {});
  console.error(`not ok ${passed + 1} - ${error.message}`);
  if (problems.length) console.error(problems.join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
}
