package apiserver

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

// Validation of pod volumes, after Kubernetes' ValidateVolumes.

const fileModeErrorMsg = "must be a number between 0 and 0777 (octal), both inclusive"

// validateVolumes checks names (unique DNS labels) and that each volume
// has exactly one source; it returns the valid volumes by name, for the
// containers' volumeMounts.
func validateVolumes(volumes []corev1.Volume, path *field.Path) (map[string]corev1.VolumeSource, field.ErrorList) {
	valid := map[string]corev1.VolumeSource{}
	var errs field.ErrorList
	for i, v := range volumes {
		p := path.Index(i)
		el := validateVolumeSource(&v.VolumeSource, p)
		if v.Name == "" {
			el = append(el, field.Required(p.Child("name"), ""))
		} else {
			el = append(el, invalidEach(p.Child("name"), v.Name, validation.IsDNS1123Label(v.Name))...)
		}
		if _, dup := valid[v.Name]; dup {
			el = append(el, field.Duplicate(p.Child("name"), v.Name))
		}
		if len(el) == 0 {
			valid[v.Name] = v.VolumeSource
		}
		errs = append(errs, el...)
	}
	return valid, errs
}

// volumeSources lists the sources in the order Kubernetes checks them:
// the second one set is the one named in "may not specify more than 1".
var volumeSources = []struct {
	name string
	set  func(*corev1.VolumeSource) bool
}{
	{"emptyDir", func(s *corev1.VolumeSource) bool { return s.EmptyDir != nil }},
	{"hostPath", func(s *corev1.VolumeSource) bool { return s.HostPath != nil }},
	{"gitRepo", func(s *corev1.VolumeSource) bool { return s.GitRepo != nil }},
	{"gcePersistentDisk", func(s *corev1.VolumeSource) bool { return s.GCEPersistentDisk != nil }},
	{"awsElasticBlockStore", func(s *corev1.VolumeSource) bool { return s.AWSElasticBlockStore != nil }},
	{"secret", func(s *corev1.VolumeSource) bool { return s.Secret != nil }},
	{"nfs", func(s *corev1.VolumeSource) bool { return s.NFS != nil }},
	{"iscsi", func(s *corev1.VolumeSource) bool { return s.ISCSI != nil }},
	{"glusterfs", func(s *corev1.VolumeSource) bool { return s.Glusterfs != nil }},
	{"flocker", func(s *corev1.VolumeSource) bool { return s.Flocker != nil }},
	{"persistentVolumeClaim", func(s *corev1.VolumeSource) bool { return s.PersistentVolumeClaim != nil }},
	{"rbd", func(s *corev1.VolumeSource) bool { return s.RBD != nil }},
	{"cinder", func(s *corev1.VolumeSource) bool { return s.Cinder != nil }},
	{"cephFS", func(s *corev1.VolumeSource) bool { return s.CephFS != nil }},
	{"quobyte", func(s *corev1.VolumeSource) bool { return s.Quobyte != nil }},
	{"downwardAPI", func(s *corev1.VolumeSource) bool { return s.DownwardAPI != nil }},
	{"fc", func(s *corev1.VolumeSource) bool { return s.FC != nil }},
	{"flexVolume", func(s *corev1.VolumeSource) bool { return s.FlexVolume != nil }},
	{"configMap", func(s *corev1.VolumeSource) bool { return s.ConfigMap != nil }},
	{"azureFile", func(s *corev1.VolumeSource) bool { return s.AzureFile != nil }},
	{"vsphereVolume", func(s *corev1.VolumeSource) bool { return s.VsphereVolume != nil }},
	{"photonPersistentDisk", func(s *corev1.VolumeSource) bool { return s.PhotonPersistentDisk != nil }},
	{"portworxVolume", func(s *corev1.VolumeSource) bool { return s.PortworxVolume != nil }},
	{"azureDisk", func(s *corev1.VolumeSource) bool { return s.AzureDisk != nil }},
	{"storageos", func(s *corev1.VolumeSource) bool { return s.StorageOS != nil }},
	{"projected", func(s *corev1.VolumeSource) bool { return s.Projected != nil }},
	{"scaleIO", func(s *corev1.VolumeSource) bool { return s.ScaleIO != nil }},
	{"csi", func(s *corev1.VolumeSource) bool { return s.CSI != nil }},
	{"ephemeral", func(s *corev1.VolumeSource) bool { return s.Ephemeral != nil }},
	{"image", func(s *corev1.VolumeSource) bool { return s.Image != nil }},
}

// validateVolumeSource requires exactly one source and checks the fields
// of the common ones.
func validateVolumeSource(src *corev1.VolumeSource, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	n := 0
	for _, s := range volumeSources {
		if !s.set(src) {
			continue
		}
		if n > 0 {
			errs = append(errs, field.Forbidden(path.Child(s.name), "may not specify more than 1 volume type"))
		}
		n++
	}
	if n == 0 {
		return field.ErrorList{field.Required(path, "must specify a volume type")}
	}
	if e := src.EmptyDir; e != nil && e.SizeLimit != nil && e.SizeLimit.Cmp(resource.Quantity{}) < 0 {
		errs = append(errs, field.Forbidden(path.Child("emptyDir", "sizeLimit"), "SizeLimit field must be a valid resource quantity"))
	}
	if h := src.HostPath; h != nil {
		if h.Path == "" {
			errs = append(errs, field.Required(path.Child("hostPath", "path"), ""))
		}
		if h.Type != nil && *h.Type != corev1.HostPathUnset {
			errs = append(errs, validateEnum(path.Child("hostPath", "type"), *h.Type, corev1.HostPathDirectoryOrCreate,
				corev1.HostPathDirectory, corev1.HostPathFileOrCreate, corev1.HostPathFile, corev1.HostPathSocket,
				corev1.HostPathCharDev, corev1.HostPathBlockDev)...)
		}
	}
	if s := src.Secret; s != nil {
		p := path.Child("secret")
		if s.SecretName == "" {
			errs = append(errs, field.Required(p.Child("secretName"), ""))
		}
		errs = append(errs, validateFileMode(s.DefaultMode, p.Child("defaultMode"))...)
		errs = append(errs, validateKeysToPaths(s.Items, p.Child("items"))...)
	}
	if c := src.ConfigMap; c != nil {
		p := path.Child("configMap")
		if c.Name == "" {
			errs = append(errs, field.Required(p.Child("name"), ""))
		}
		errs = append(errs, validateFileMode(c.DefaultMode, p.Child("defaultMode"))...)
		errs = append(errs, validateKeysToPaths(c.Items, p.Child("items"))...)
	}
	if c := src.PersistentVolumeClaim; c != nil && c.ClaimName == "" {
		errs = append(errs, field.Required(path.Child("persistentVolumeClaim", "claimName"), ""))
	}
	if d := src.DownwardAPI; d != nil {
		errs = append(errs, validateFileMode(d.DefaultMode, path.Child("downwardAPI", "defaultMode"))...)
	}
	if p := src.Projected; p != nil {
		errs = append(errs, validateFileMode(p.DefaultMode, path.Child("projected", "defaultMode"))...)
	}
	return errs
}

func validateFileMode(mode *int32, path *field.Path) field.ErrorList {
	if mode != nil && (*mode > 0777 || *mode < 0) {
		return field.ErrorList{field.Invalid(path, *mode, fileModeErrorMsg)}
	}
	return nil
}

func validateKeysToPaths(items []corev1.KeyToPath, path *field.Path) field.ErrorList {
	var errs field.ErrorList
	for i, kp := range items {
		p := path.Index(i)
		if kp.Key == "" {
			errs = append(errs, field.Required(p.Child("key"), ""))
		}
		if kp.Path == "" {
			errs = append(errs, field.Required(p.Child("path"), ""))
		}
		errs = append(errs, validateFileMode(kp.Mode, p.Child("mode"))...)
	}
	return errs
}
