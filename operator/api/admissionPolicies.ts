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

/** A policy as the installer caches it: its name, and the namespaces of the ServiceAccounts it names. */
export interface PolicyView {
  name: string;
  serviceAccountNamespaces?: readonly string[];
}

/** A binding as the installer caches it: which policy, with which actions. */
export interface PolicyBindingView {
  name: string;
  policyName?: string;
  validationActions?: readonly string[];
}

/**
 * What keeps the shipped policies from being enforced, one line each: a policy missing, one
 * that names ServiceAccounts of another namespace only (written for another install: it
 * matches none of this one's identities), or bound by no binding that denies. Empty: every
 * one is enforced. Checked by name and binding, not by expression: an edited policy that
 * allows everything still counts.
 */
export function admissionGaps(policies: readonly PolicyView[], bindings: readonly PolicyBindingView[], namespace?: string): string[] {
  const byName = new Map(policies.map((p) => [p.name, p]));
  const gaps: string[] = [];
  for (const name of SHIPPED_ADMISSION_POLICIES) {
    const policy = byName.get(name);
    if (!policy) {
      gaps.push(`ValidatingAdmissionPolicy ${name} is missing`);
      continue;
    }
    const named = policy.serviceAccountNamespaces ?? [];
    if (namespace !== undefined && named.length > 0 && !named.includes(namespace)) {
      gaps.push(`ValidatingAdmissionPolicy ${name} names the ServiceAccounts of namespace ${named.join(', ')}, not ${namespace}`);
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
