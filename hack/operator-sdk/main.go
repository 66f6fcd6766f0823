// Command operator-sdk is vip-announcer's stand-in for `operator-sdk bundle validate`.
//
// The real operator-sdk (and operator-registry, which it needs) cannot be
// fetched here: the Go module proxy answers 403 for every version. What
// `operator-sdk bundle validate` checks lives in github.com/operator-framework/api,
// which the proxy serves, so this command runs those same validators on a bundle
// directory, with the same command line and the same log-style output:
//
//	operator-sdk bundle validate ./bundle --select-optional suite=operatorframework
//
// Checks, in order:
//   - format: metadata/annotations.yaml has the registry+v1 keys, the default
//     channel is one of the channels, manifests/ holds only files, and a
//     bundle.Dockerfile (next to the bundle or in it) carries the same labels;
//   - content: every object is of a kind registry+v1 bundles may carry and has
//     valid metadata, then the bundle, CSV, CRD and object validators;
//   - optional (suite=operatorframework): OperatorHub v2, standard capabilities,
//     standard categories, good practices and deprecated APIs.
//
// It exits 1 when any error was found, 0 otherwise (warnings are printed).
package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	apimanifests "github.com/operator-framework/api/pkg/manifests"
	apivalidation "github.com/operator-framework/api/pkg/validation"
	apierrors "github.com/operator-framework/api/pkg/validation/errors"
	interfaces "github.com/operator-framework/api/pkg/validation/interfaces"
	k8svalidation "k8s.io/apimachinery/pkg/api/validation"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"sigs.k8s.io/yaml"
)

const apiVersion = "v0.34.0"

type optional struct {
	name   string
	labels labels.Set
	v      interfaces.Validator
}

var optionals = []optional{
	{"operatorhubv2", labels.Set{"name": "operatorhubv2", "suite": "operatorframework"}, apivalidation.OperatorHubV2Validator},
	{"standardcapabilities", labels.Set{"name": "standardcapabilities", "suite": "operatorframework"}, apivalidation.StandardCapabilitiesValidator},
	{"standardcategories", labels.Set{"name": "standardcategories", "suite": "operatorframework"}, apivalidation.StandardCategoriesValidator},
	{"good-practices", labels.Set{"name": "good-practices", "suite": "operatorframework"}, apivalidation.GoodPracticesValidator},
	{"alpha-deprecated-apis", labels.Set{"name": "alpha-deprecated-apis", "suite": "operatorframework"}, apivalidation.AlphaDeprecatedAPIsValidator},
	{"multiarch", labels.Set{"name": "multiarch"}, apivalidation.MultipleArchitecturesValidator},
}

// Kinds a registry+v1 bundle may carry besides CSVs and CRDs (OLM's list).
var supportedKinds = map[string]bool{
	"Secret": true, "ClusterRole": true, "ClusterRoleBinding": true, "ConfigMap": true,
	"ServiceAccount": true, "Service": true, "Role": true, "RoleBinding": true,
	"PrometheusRule": true, "ServiceMonitor": true, "PodDisruptionBudget": true,
	"PriorityClass": true, "VerticalPodAutoscaler": true, "ConsoleYAMLSample": true,
	"ConsoleQuickStart": true, "ConsoleCLIDownload": true, "ConsoleLink": true,
	"NetworkPolicy": true,
}

var requiredAnnotations = map[string]string{
	"operators.operatorframework.io.bundle.mediatype.v1": "registry+v1",
	"operators.operatorframework.io.bundle.manifests.v1": "manifests/",
	"operators.operatorframework.io.bundle.metadata.v1":  "metadata/",
	"operators.operatorframework.io.bundle.package.v1":   "",
	"operators.operatorframework.io.bundle.channels.v1":  "",
}

var nErrors, nWarnings int

func logf(level, format string, args ...any) {
	switch level {
	case "ERRO":
		nErrors++
	case "WARN":
		nWarnings++
	}
	fmt.Fprintf(os.Stderr, "%s[0000] %s\n", level, fmt.Sprintf(format, args...))
}

func usage() {
	fmt.Fprintf(os.Stderr, "usage: operator-sdk bundle validate DIR [--select-optional SELECTOR] [--optional-values k=v,...] [--list-optional]\n       operator-sdk version\n")
	os.Exit(2)
}

func main() {
	args := os.Args[1:]
	if len(args) == 1 && args[0] == "version" {
		fmt.Printf("operator-sdk bundle validate stand-in (vip-announcer), operator-framework/api %s\n", apiVersion)
		return
	}
	if len(args) < 2 || args[0] != "bundle" || args[1] != "validate" {
		usage()
	}
	var dir, selRaw string
	optionalValues := map[string]string{}
	list := false
	rest := args[2:]
	for i := 0; i < len(rest); i++ {
		a := rest[i]
		val := func(flag string) string {
			if v, ok := strings.CutPrefix(a, flag+"="); ok {
				return v
			}
			if i+1 >= len(rest) {
				usage()
			}
			i++
			return rest[i]
		}
		switch {
		case a == "--list-optional":
			list = true
		case a == "--select-optional" || strings.HasPrefix(a, "--select-optional="):
			selRaw = val("--select-optional")
		case a == "--optional-values" || strings.HasPrefix(a, "--optional-values="):
			for _, kv := range strings.Split(val("--optional-values"), ",") {
				if k, v, ok := strings.Cut(kv, "="); ok {
					optionalValues[k] = v
				}
			}
		case strings.HasPrefix(a, "-"):
			usage()
		default:
			if dir != "" {
				usage()
			}
			dir = a
		}
	}
	if list {
		for _, o := range optionals {
			fmt.Printf("%-22s %s\n", o.name, o.labels.String())
		}
		return
	}
	if dir == "" {
		usage()
	}
	var sel labels.Selector
	if selRaw != "" {
		var err error
		if sel, err = labels.Parse(selRaw); err != nil {
			logf("FATA", "invalid --select-optional: %v", err)
			os.Exit(1)
		}
		matched := false
		for _, o := range optionals {
			matched = matched || sel.Matches(o.labels)
		}
		if !matched {
			logf("FATA", "selector %q does not match any validator labels", selRaw)
			os.Exit(1)
		}
	}

	annotations := validateFormat(dir)
	manifestsDir := filepath.Join(dir, strings.TrimSuffix(orDefault(annotations["operators.operatorframework.io.bundle.manifests.v1"], "manifests/"), "/"))
	bundle, err := apimanifests.GetBundleFromDir(manifestsDir)
	if err != nil {
		logf("FATA", "reading bundle from %s: %v", manifestsDir, err)
		os.Exit(1)
	}
	report(validateContent(bundle))
	if sel != nil {
		objs := bundle.ObjectsToValidate()
		for _, o := range bundle.Objects {
			objs = append(objs, o)
		}
		objs = append(objs, optionalValues)
		for _, o := range optionals {
			if sel.Matches(o.labels) {
				report(o.v.Validate(objs...))
			}
		}
	}
	if nErrors > 0 {
		os.Exit(1)
	}
	if nWarnings == 0 {
		logf("INFO", "All validation tests have completed successfully")
	}
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func report(results []apierrors.ManifestResult) {
	for _, r := range results {
		for _, e := range r.Errors {
			logf("ERRO", "%s", e.Error())
		}
		for _, w := range r.Warnings {
			logf("WARN", "%s", w.Error())
		}
	}
}

// validateFormat checks the bundle's layout and metadata and returns its annotations.
func validateFormat(dir string) map[string]string {
	raw, err := os.ReadFile(filepath.Join(dir, "metadata", "annotations.yaml"))
	if err != nil {
		logf("ERRO", "Error: bundle metadata: %v", err)
		return nil
	}
	var doc struct {
		Annotations map[string]string `json:"annotations"`
	}
	if err := yaml.UnmarshalStrict(raw, &doc); err != nil {
		logf("ERRO", "Error: metadata/annotations.yaml: %v", err)
		return nil
	}
	a := doc.Annotations
	keys := make([]string, 0, len(requiredAnnotations))
	for k := range requiredAnnotations {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := requiredAnnotations[k]
		switch got, ok := a[k]; {
		case !ok || got == "":
			logf("ERRO", "Error: metadata/annotations.yaml: missing annotation %s", k)
		case want != "" && got != want:
			logf("ERRO", "Error: metadata/annotations.yaml: %s is %q, want %q", k, got, want)
		}
	}
	channels := strings.Split(a["operators.operatorframework.io.bundle.channels.v1"], ",")
	if def, ok := a["operators.operatorframework.io.bundle.channel.default.v1"]; ok {
		found := false
		for _, c := range channels {
			found = found || strings.TrimSpace(c) == def
		}
		if !found {
			logf("ERRO", "Error: default channel %q is not one of the channels %v", def, channels)
		}
	}
	mdir := filepath.Join(dir, strings.TrimSuffix(orDefault(a["operators.operatorframework.io.bundle.manifests.v1"], "manifests/"), "/"))
	entries, err := os.ReadDir(mdir)
	if err != nil {
		logf("ERRO", "Error: bundle manifests: %v", err)
	}
	for _, e := range entries {
		if e.IsDir() {
			logf("ERRO", "Error: %s: the manifests directory must not contain directories", filepath.Join(mdir, e.Name()))
		}
	}
	checkDockerfile(dir, a)
	return a
}

// checkDockerfile compares the LABELs of bundle.Dockerfile (next to the bundle
// directory, as operator-sdk writes it, or inside it) with the annotations.
func checkDockerfile(dir string, a map[string]string) {
	var path string
	for _, p := range []string{filepath.Join(filepath.Dir(filepath.Clean(dir)), "bundle.Dockerfile"), filepath.Join(dir, "bundle.Dockerfile")} {
		if _, err := os.Stat(p); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		logf("WARN", "Warning: no bundle.Dockerfile next to or in %s", dir)
		return
	}
	f, err := os.Open(path)
	if err != nil {
		logf("ERRO", "Error: %v", err)
		return
	}
	defer f.Close()
	got := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if l, ok := strings.CutPrefix(line, "LABEL "); ok {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
				got[k] = strings.Trim(v, `"`)
			}
		}
	}
	for k, v := range a {
		if got[k] != v {
			logf("ERRO", "Error: %s: LABEL %s is %q, metadata/annotations.yaml says %q", path, k, got[k], v)
		}
	}
}

func validateContent(bundle *apimanifests.Bundle) []apierrors.ManifestResult {
	errs := apierrors.ManifestResult{Name: bundle.Name}
	for _, u := range bundle.Objects {
		gvk := u.GetObjectKind().GroupVersionKind()
		if gvk.Kind == "ClusterServiceVersion" || gvk.Kind == "CustomResourceDefinition" {
			continue
		}
		if !supportedKinds[gvk.Kind] {
			errs.Add(apierrors.ErrInvalidBundle("kind not supported in a registry+v1 bundle", gvk))
			continue
		}
		noName := func(string, bool) []string { return nil }
		if fe := k8svalidation.ValidateObjectMetaAccessor(u, false, noName, field.NewPath("metadata")); len(fe) > 0 {
			errs.Add(apierrors.ErrFailedValidation(fe.ToAggregate().Error(), u.GetName()))
		}
	}
	results := apivalidation.BundleValidator.Validate(bundle)
	if bundle.CSV == nil {
		errs.Add(apierrors.ErrInvalidBundle("no ClusterServiceVersion in bundle", bundle.Name))
	} else {
		results = append(results, apivalidation.ClusterServiceVersionValidator.Validate(bundle.CSV)...)
	}
	var crds []any
	for _, c := range bundle.V1CRDs {
		crds = append(crds, c)
	}
	for _, c := range bundle.V1beta1CRDs {
		crds = append(crds, c)
	}
	if len(crds) > 0 {
		results = append(results, apivalidation.CustomResourceDefinitionValidator.Validate(crds...)...)
	}
	objs := make([]any, 0, len(bundle.Objects))
	for _, o := range bundle.Objects {
		objs = append(objs, o)
	}
	results = append(results, apivalidation.ObjectValidator.Validate(objs...)...)
	return append(results, errs)
}
