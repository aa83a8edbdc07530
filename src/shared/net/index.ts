// webpt/shared net: IP literals, host names, ports and `host:port` text, the
// one implementation behind SOCKS, PT IPC, ExtORPort and settings. Pure string
// and byte functions, no resolver (the core runs in browsers).
export {
  MAX_IPV6_TEXT_LENGTH,
  type IpAddress,
  type IpFamily,
  type IpLiteralOptions,
  formatIPv4,
  formatIPv6,
  isIPv4,
  isIPv4Mapped,
  isIPv6,
  parseIPv4,
  parseIPv6,
  parseIp,
} from "./ip.js";
export {
  MAX_DOMAIN_LABEL_LENGTH,
  MAX_DOMAIN_NAME_LENGTH,
  MAX_PORT,
  type DomainNameOptions,
  type PortOptions,
  type PortSyntax,
  isDomainName,
  parsePort,
} from "./host-name.js";
export {
  AddressError,
  type AddressFault,
  type AddressProblem,
  type HostOptions,
  type HostPort,
  type HostPortOptions,
  type HostPortParts,
  type HostType,
  formatHost,
  formatHostPort,
  parseHost,
  parseHostPort,
  splitHostPort,
  tryParseHostPort,
} from "./host-port.js";
