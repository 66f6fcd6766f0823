// Label keys and values every role reads or writes, so the controller that sets
// a label and the role that selects by it cannot drift apart.

/** Nodes carrying this label (any value) never announce, as for cloud load balancers. */
export const EXCLUDE_FROM_LB_LABEL = 'node.kubernetes.io/exclude-from-external-load-balancers';
/** The cluster autoscaler's taint on a node it is about to remove (kube-proxy fails its LB health check for it too). */
export const TO_BE_DELETED_TAINT = 'ToBeDeletedByClusterAutoscaler';

/** Set by the EndpointSlice controller: the Service a slice belongs to. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
/** Our value for MANAGED_BY_LABEL on objects we create. */
export const MANAGED_BY = 'vip-announcer';
