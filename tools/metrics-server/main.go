// Command metrics-server is metrics-server v0.8.0 (0.8.x serves metrics.k8s.io/v1beta1 for
// Kubernetes 1.31+), built from the Go module proxy for the test cluster: it scrapes the
// kubelet's resource metrics so `kubectl top` and the API's HPA read CPU.
package main

import (
	"os"

	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/component-base/logs"

	"sigs.k8s.io/metrics-server/cmd/metrics-server/app"
)

func main() {
	logs.InitLogs()
	defer logs.FlushLogs()
	if err := app.NewMetricsServerCommand(genericapiserver.SetupSignalHandler()).Execute(); err != nil {
		os.Exit(1)
	}
}
