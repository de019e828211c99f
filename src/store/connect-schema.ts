// The website side's tables ("Connect": local users of a site, their bound identities at providers,
// pending binding tickets). Filled in by the Connect work; empty until then.
export interface ConnectTables {}
