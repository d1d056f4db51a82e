/**
 * The certificate STARTTLS presents: a configured one (PEM files), or one
 * the node makes and keeps in `<home>/xmpp-tls/` (self-signed ECDSA P-256,
 * for the JID domain and the listen host, the key mode 0600). A kept
 * certificate is reused until it nears its end or no longer names the
 * domain or host, so a client that trusted it once keeps trusting it.
 * Clients show its SHA-256 fingerprint; the node prints the same one.
 */
import 'reflect-metadata'
import { webcrypto, X509Certificate } from 'node:crypto'
import fs from 'node:fs/promises'
import net from 'node:net'
import path from 'node:path'
import tls from 'node:tls'
import * as x509 from '@peculiar/x509'
import { CERT_FILE, CERT_RENEW_BEFORE_MS, CERT_VALIDITY_MS, KEY_FILE, TLS_DIR } from './constants.js'
import { XmppTlsError } from './errors.js'

export interface TlsFiles {
  /** PEM certificate (chain) file. */
  cert: string
  /** PEM private key file. */
  key: string
}

export interface TlsMaterial {
  cert: string
  key: string
  /** SHA-256 fingerprint as clients show it (AA:BB:…). */
  fingerprint: string
  /** SHA-1 fingerprint (what some clients, profanity for one, show). */
  fingerprintSha1: string
  /** Where it came from. */
  certFile: string
  /** Made just now. */
  generated: boolean
  secureContext: tls.SecureContext
}

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }

function material (cert: string, key: string, certFile: string, generated: boolean): TlsMaterial {
  let secureContext: tls.SecureContext
  let fingerprint: string
  let fingerprintSha1: string
  try {
    const x509cert = new X509Certificate(cert)
    fingerprint = x509cert.fingerprint256
    fingerprintSha1 = x509cert.fingerprint
    secureContext = tls.createSecureContext({ cert, key, minVersion: 'TLSv1.2' })
  } catch (err: any) {
    throw new XmppTlsError(certFile, `certificate and key do not make a TLS identity: ${err.message}`)
  }
  return { cert, key, fingerprint, fingerprintSha1, certFile, generated, secureContext }
}

async function readPem (file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8')
  } catch (err: any) {
    throw new XmppTlsError(file, `cannot read it (${err.code ?? err.message})`)
  }
}

/** Whether a kept certificate still serves: valid for a while yet, naming the domain and host. */
function stillGood (pem: string, domain: string, host: string): boolean {
  try {
    const cert = new X509Certificate(pem)
    if (Date.parse(cert.validTo) - Date.now() < CERT_RENEW_BEFORE_MS) return false
    if (cert.checkHost(domain) == null) return false
    return net.isIP(host) !== 0 ? cert.checkIP(host) != null : cert.checkHost(host) != null
  } catch {
    return false
  }
}

async function generate (domain: string, host: string): Promise<{ cert: string, key: string }> {
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])
  const names: x509.JsonGeneralName[] = [{ type: 'dns', value: domain }]
  for (const h of new Set([host, '127.0.0.1', '::1'])) {
    if (net.isIP(h) !== 0) names.push({ type: 'ip', value: h })
    else if (h !== domain) names.push({ type: 'dns', value: h })
  }
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${domain.replace(/[,+="<>#;\\]/g, '')}, O=presence-mesh`,
    notBefore: new Date(now - 3600_000),
    notAfter: new Date(now + CERT_VALIDITY_MS),
    keys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names)
    ]
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)).toString('base64')
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.match(/.{1,64}/g)!.join('\n')}\n-----END PRIVATE KEY-----\n`
  return { cert: cert.toString('pem') + '\n', key }
}

/**
 * The certificate to present for `domain` on `host`: the configured files
 * when given, else the one kept in the home (made or renewed as needed).
 */
export async function loadTlsMaterial (home: string, domain: string, host: string, files?: TlsFiles): Promise<TlsMaterial> {
  if (files != null) {
    return material(await readPem(files.cert), await readPem(files.key), files.cert, false)
  }
  const dir = path.join(home, TLS_DIR)
  const certFile = path.join(dir, CERT_FILE)
  const keyFile = path.join(dir, KEY_FILE)
  const kept = await fs.readFile(certFile, 'utf8').catch(() => undefined)
  if (kept != null && stillGood(kept, domain, host)) {
    const stat = await fs.stat(keyFile).catch(() => undefined)
    if (stat != null && (stat.mode & 0o077) !== 0) {
      throw new XmppTlsError(keyFile, `readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run: chmod 600 ${keyFile}`)
    }
    const key = await fs.readFile(keyFile, 'utf8').catch(() => undefined)
    // a key without its certificate (a crash while renewing) makes a new pair below
    if (key != null) {
      try {
        return material(kept, key, certFile, false)
      } catch {}
    }
  }
  const { cert, key } = await generate(domain, host)
  try {
    await fs.mkdir(dir, { recursive: true, mode: 0o700 })
    // the key first: a certificate on disk always has its key beside it
    await fs.writeFile(`${keyFile}.tmp`, key, { mode: 0o600 })
    await fs.rename(`${keyFile}.tmp`, keyFile)
    await fs.writeFile(`${certFile}.tmp`, cert, { mode: 0o644 })
    await fs.rename(`${certFile}.tmp`, certFile)
  } catch (err: any) {
    throw new XmppTlsError(dir, `cannot keep the certificate there (${err.code ?? err.message})`)
  }
  return material(cert, key, certFile, true)
}
