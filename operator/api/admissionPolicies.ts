// Whether the API server enforces the product's tenant isolation: the ValidatingAdmissionPolicies
// of config/admission, each bound with Deny. RBAC alone lets a namespace editor forge a
// Service-backed announcement and a node's speaker write another node's report; an install
// without the policies (an OLM bundle cannot carry them) must say so where users look.

/** The policies config/admission ships (a unit test holds this list to the files). */
export const SHIPPED_ADMISSION_POLICIES = [
  'vip-announcer-installer-configmaps',
  'vip-announcer-installer-daemonsets',
  'vip-announcer-node-reports',
  'vip-announcer-service-backed-announcements',
] as const;

/** A binding as the installer caches it: which policy, with which actions. */
export interface PolicyBindingView {
  name: string;
  policyName?: string;
  validationActions?: readonly string[];
}

/**
 * What keeps the shipped policies from being enforced, one line each: a policy missing, or
 * bound by no binding that denies. Empty: every one is enforced.
 */
export function admissionGaps(policies: readonly string[], bindings: readonly PolicyBindingView[]): string[] {
  const present = new Set(policies);
  const gaps: string[] = [];
  for (const name of SHIPPED_ADMISSION_POLICIES) {
    if (!present.has(name)) {
      gaps.push(`ValidatingAdmissionPolicy ${name} is missing`);
      continue;
    }
    const bound = bindings.filter((b) => b.policyName === name);
    if (bound.length === 0) gaps.push(`ValidatingAdmissionPolicy ${name} has no binding`);
    else if (!bound.some((b) => (b.validationActions ?? []).includes('Deny'))) {
      gaps.push(`ValidatingAdmissionPolicy ${name} is bound without Deny (${bound.map((b) => b.name).join(', ')})`);
    }
  }
  return gaps;
}
