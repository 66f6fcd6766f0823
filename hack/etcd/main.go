// Command etcd is the etcd server of the pinned release, built from its Go
// module for the lab (Debian's etcd is older than the API server supports).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
