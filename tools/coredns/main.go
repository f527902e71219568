// Command coredns is CoreDNS with only the plugins the test cluster's Corefile uses: the
// cluster's names (kubernetes), and errors, health, ready, cache, log. Leaving out the cloud and
// DNSSEC plugins keeps the build to a few minutes; nothing is forwarded, there is nowhere to.
package main

import (
	_ "github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

func main() {
	coremain.Run()
}
