/** Fixed ids so the README, scripts and tests can name them. */
export const DEMO = {
  acme: {
    organization: '0b5c6a2e-1d3f-4a7b-9c8d-000000000a01',
    departments: { billing: '0b5c6a2e-1d3f-4a7b-9c8d-000000000a11', technical: '0b5c6a2e-1d3f-4a7b-9c8d-000000000a12' },
    teams: { billingTier1: '0b5c6a2e-1d3f-4a7b-9c8d-000000000a21', techTier1: '0b5c6a2e-1d3f-4a7b-9c8d-000000000a22' },
  },
  globex: {
    organization: '0b5c6a2e-1d3f-4a7b-9c8d-000000000b01',
    departments: { sales: '0b5c6a2e-1d3f-4a7b-9c8d-000000000b11' },
    teams: { outbound: '0b5c6a2e-1d3f-4a7b-9c8d-000000000b21' },
  },
} as const;
