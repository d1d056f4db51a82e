/** The endpoint's listen address: `host:port`, `[v6]:port`, or a host alone (port 5222). */
import net from 'node:net'
import { DEFAULT_XMPP_HOST, DEFAULT_XMPP_PORT } from './constants.js'
import { InvalidXmppAddressError } from './errors.js'

export interface XmppAddress {
  host: string
  port: number
}

const LOOPBACK = new net.BlockList()
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4')
LOOPBACK.addAddress('::1', 'ipv6')
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6')

/** Whether a host is this machine's loopback (a name other than localhost counts as not). */
export function isLoopback (host: string): boolean {
  if (host === 'localhost') return true
  const family = net.isIP(host)
  if (family === 0) return false
  return LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6')
}

export function parseXmppAddress (input: string | undefined): XmppAddress {
  if (input == null || input === '') return { host: DEFAULT_XMPP_HOST, port: DEFAULT_XMPP_PORT }
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(input) ?? /^([^:[\]]*)(?::(\d+))?$/.exec(input)
  if (m == null) throw new InvalidXmppAddressError(input, 'write host:port, [IPv6]:port or a host alone')
  const host = m[1] === '' ? DEFAULT_XMPP_HOST : m[1]
  if (input.startsWith('[') && net.isIPv6(host) === false) throw new InvalidXmppAddressError(input, 'brackets hold an IPv6 address')
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw new InvalidXmppAddressError(input, 'not a host name or IP address')
  const port = m[2] == null ? DEFAULT_XMPP_PORT : Number(m[2])
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidXmppAddressError(input, 'the port is a number from 0 to 65535')
  return { host, port }
}

/** host:port as people write it. */
export function formatAddress ({ host, port }: XmppAddress): string {
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`
}
