// Command kube-router is kube-router's network policy controller for the test cluster: the
// project's own command with its flags, started by scripts/setup-cluster.sh as a node process in
// firewall-only mode (--run-firewall, no router, no service proxy: kube-proxy serves Services).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/cloudnativelabs/kube-router/v2/pkg/cmd"
	"github.com/cloudnativelabs/kube-router/v2/pkg/options"
	"github.com/spf13/pflag"
	"k8s.io/klog/v2"
)

func main() {
	klog.InitFlags(nil)
	config := options.NewKubeRouterConfig()
	config.AddFlags(pflag.CommandLine)
	pflag.Parse()
	_ = flag.Set("logtostderr", "true")
	_ = flag.Set("v", config.VLevel)
	if config.CleanupConfig {
		cmd.CleanupConfigAndExit()
		return
	}
	kr, err := cmd.NewKubeRouterDefault(config)
	if err == nil {
		err = kr.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "kube-router:", err)
		os.Exit(1)
	}
}
