/// The compose model, attribute by attribute, in docker compose's order (the field order
/// of compose-go's types, which its JSON output and config hash follow).
enum ComposeSchema {
    static let labels = AttributeKind.mapping

    static let duration = AttributeKind.duration

    static let serviceHook = Schema("service hook", [
        Attribute("command", .shellCommand, .always),
        Attribute("user", .string),
        Attribute("privileged", .bool),
        Attribute("working_dir", .string),
        Attribute("environment", .mappingWithEquals),
    ])

    static let deviceRequest = Schema("device request", [
        Attribute("capabilities", .stringList(acceptsString: false)),
        Attribute("driver", .string),
        Attribute("count", .any),
        Attribute("device_ids", .stringList(acceptsString: false)),
        Attribute("options", .mapping),
    ])

    // compose-go's ThrottleDevice and WeightDevice have no json tags: Go prints Path, Rate, Weight.
    static let throttleDevice = Schema("throttle device", [Attribute("path", .string, .always, outputKey: "Path"), Attribute("rate", .bytes, .always, outputKey: "Rate")])
    static let weightDevice = Schema("weight device", [Attribute("path", .string, .always, outputKey: "Path"), Attribute("weight", .int, .always, outputKey: "Weight")])

    static let blkio = Schema("blkio_config", [
        Attribute("weight", .int),
        Attribute("weight_device", .list(.object(weightDevice))),
        Attribute("device_read_bps", .list(.object(throttleDevice))),
        Attribute("device_read_iops", .list(.object(throttleDevice))),
        Attribute("device_write_bps", .list(.object(throttleDevice))),
        Attribute("device_write_iops", .list(.object(throttleDevice))),
    ])

    static let fileReference = Schema("secret or config reference", [
        Attribute("source", .string),
        Attribute("target", .string),
        Attribute("uid", .string),
        Attribute("gid", .string),
        Attribute("mode", .fileMode, .omitNil),
    ])

    static let build = Schema("build", [
        Attribute("context", .string),
        Attribute("dockerfile", .string),
        Attribute("dockerfile_inline", .string),
        Attribute("entitlements", .stringList(acceptsString: false)),
        Attribute("args", .mappingWithEquals),
        Attribute("provenance", .string),
        Attribute("sbom", .string),
        Attribute("ssh", .any),
        Attribute("labels", labels),
        Attribute("cache_from", .stringList(acceptsString: true)),
        Attribute("cache_to", .stringList(acceptsString: true)),
        Attribute("no_cache", .bool),
        Attribute("additional_contexts", .mapping),
        Attribute("pull", .bool),
        Attribute("extra_hosts", .hostsList),
        Attribute("isolation", .string),
        Attribute("network", .string),
        Attribute("target", .string),
        Attribute("secrets", .list(.object(fileReference))),
        Attribute("shm_size", .bytes),
        Attribute("tags", .stringList(acceptsString: true)),
        Attribute("ulimits", .map(.ulimit)),
        Attribute("platforms", .stringList(acceptsString: true)),
        Attribute("privileged", .bool),
    ])

    static let deviceMapping = Schema("device", [
        Attribute("source", .string),
        Attribute("target", .string),
        Attribute("permissions", .string),
    ])

    static let credentialSpec = Schema("credential_spec", [
        Attribute("config", .string), Attribute("file", .string), Attribute("registry", .string),
    ])

    static let dependency = Schema("depends_on entry", [
        Attribute("condition", .string),
        Attribute("restart", .bool),
        Attribute("required", .bool, .always),
    ])

    static let updateConfig = Schema("update_config", [
        Attribute("parallelism", .int, .omitNil),
        Attribute("delay", duration),
        Attribute("failure_action", .string),
        Attribute("monitor", duration),
        Attribute("max_failure_ratio", .float),
        Attribute("order", .string),
    ])

    static let genericResource = Schema("generic resource", [Attribute("discrete_resource_spec", .any)])

    static let resource = Schema("resource", [
        Attribute("cpus", .float),
        Attribute("memory", .bytes),
        Attribute("pids", .int),
        Attribute("devices", .list(.object(deviceRequest))),
        Attribute("generic_resources", .list(.object(genericResource))),
    ])

    static let resources = Schema("resources", [
        Attribute("limits", .object(resource), .omitNil),
        Attribute("reservations", .object(resource), .omitNil),
    ])

    static let restartPolicy = Schema("restart_policy", [
        Attribute("condition", .string),
        Attribute("delay", duration, .omitNil),
        Attribute("max_attempts", .int, .omitNil),
        Attribute("window", duration, .omitNil),
    ])

    static let placement = Schema("placement", [
        Attribute("constraints", .stringList(acceptsString: false)),
        Attribute("preferences", .list(.object(Schema("preference", [Attribute("spread", .string)])))),
        Attribute("max_replicas_per_node", .int),
    ])

    static let deploy = Schema("deploy", ignored: ["mode", "update_config", "rollback_config", "placement", "endpoint_mode", "labels"], [
        Attribute("mode", .string),
        Attribute("replicas", .int, .omitNil),
        Attribute("labels", labels),
        Attribute("update_config", .object(updateConfig), .omitNil),
        Attribute("rollback_config", .object(updateConfig), .omitNil),
        Attribute("resources", .object(resources), .always),
        Attribute("restart_policy", .object(restartPolicy), .omitNil),
        Attribute("placement", .object(placement), .always),
        Attribute("endpoint_mode", .string),
    ])

    static let trigger = Schema("watch trigger", [
        Attribute("path", .string, .always),
        Attribute("action", .string, .always),
        Attribute("target", .string),
        Attribute("exec", .object(serviceHook), .always),
        Attribute("include", .stringList(acceptsString: true)),
        Attribute("ignore", .stringList(acceptsString: true)),
        Attribute("initial_sync", .bool),
    ])

    static let develop = Schema("develop", [Attribute("watch", .list(.object(trigger)))])

    static let envFile = Schema("env_file entry", [
        Attribute("path", .string),
        Attribute("required", .bool, .always),
        Attribute("format", .string),
    ])

    static let extends = Schema("extends", extensions: false, [Attribute("file", .string), Attribute("service", .string)])

    static let healthcheck = Schema("healthcheck", [
        Attribute("test", .healthTest),
        Attribute("timeout", duration, .omitNil),
        Attribute("interval", duration, .omitNil),
        Attribute("retries", .int, .omitNil),
        Attribute("start_period", duration, .omitNil),
        Attribute("start_interval", duration, .omitNil),
        Attribute("disable", .bool),
    ])

    static let logging = Schema("logging", [Attribute("driver", .string), Attribute("options", .mapping)])

    static let serviceNetwork = Schema("service network", [
        Attribute("aliases", .stringList(acceptsString: false)),
        Attribute("driver_opts", .mapping),
        Attribute("gw_priority", .int),
        Attribute("interface_name", .string),
        Attribute("ipv4_address", .string),
        Attribute("ipv6_address", .string),
        Attribute("link_local_ips", .stringList(acceptsString: false)),
        Attribute("mac_address", .string),
        Attribute("priority", .int),
    ])

    static let port = Schema("port", [
        Attribute("name", .string),
        Attribute("mode", .string),
        Attribute("host_ip", .string),
        Attribute("target", .int),
        Attribute("published", .string),
        Attribute("protocol", .string),
        Attribute("app_protocol", .string),
    ])

    static let volumeBind = Schema("bind options", [
        Attribute("selinux", .string),
        Attribute("propagation", .string),
        Attribute("create_host_path", .bool),
        Attribute("recursive", .string),
    ])

    static let volumeVolume = Schema("volume options", [
        Attribute("labels", .mapping),
        Attribute("nocopy", .bool),
        Attribute("subpath", .string),
    ])

    static let volumeTmpfs = Schema("tmpfs options", [Attribute("size", .bytes), Attribute("mode", .int)])

    static let volumeImage = Schema("image options", [Attribute("subpath", .string)])

    static let serviceVolume = Schema("volume mount", [
        Attribute("type", .string),
        Attribute("source", .string),
        Attribute("target", .string),
        Attribute("read_only", .bool),
        Attribute("consistency", .string),
        Attribute("bind", .object(volumeBind), .omitNil),
        Attribute("volume", .object(volumeVolume), .omitNil),
        Attribute("tmpfs", .object(volumeTmpfs), .omitNil),
        Attribute("image", .object(volumeImage), .omitNil),
    ])

    static let serviceModel = Schema("service model", [Attribute("endpoint_var", .string), Attribute("model_var", .string)])

    static let provider = Schema("provider", [Attribute("type", .string), Attribute("options", .map(.stringOrNumberList))])

    static let service = Schema("service", ignored: ["credential_spec", "isolation", "volume_driver", "storage_opt", "develop", "provider", "models", "use_api_socket", "gpus", "blkio_config", "device_cgroup_rules", "cgroup_parent", "runtime", "userns_mode", "platform", "cpu_rt_period", "cpu_rt_runtime", "cpu_count", "cpu_percent", "annotations", "post_start", "pre_stop"], [
        Attribute("profiles", .stringList(acceptsString: false)),
        Attribute("annotations", .mapping),
        Attribute("attach", .bool, .omitNil),
        Attribute("build", .object(build), .omitNil),
        Attribute("develop", .object(develop), .omitNil),
        Attribute("blkio_config", .object(blkio), .omitNil),
        Attribute("cap_add", .stringList(acceptsString: false)),
        Attribute("cap_drop", .stringList(acceptsString: false)),
        Attribute("cgroup_parent", .string),
        Attribute("cgroup", .string),
        Attribute("cpu_count", .int),
        Attribute("cpu_percent", .float),
        Attribute("cpu_period", .int),
        Attribute("cpu_quota", .int),
        Attribute("cpu_rt_period", .int),
        Attribute("cpu_rt_runtime", .int),
        Attribute("cpus", .float),
        Attribute("cpuset", .string),
        Attribute("cpu_shares", .int),
        Attribute("command", .shellCommand, .always),
        Attribute("configs", .list(.object(fileReference))),
        Attribute("container_name", .string),
        Attribute("credential_spec", .object(credentialSpec), .omitNil),
        Attribute("depends_on", .map(.object(dependency))),
        Attribute("deploy", .object(deploy), .omitNil),
        Attribute("device_cgroup_rules", .stringList(acceptsString: false)),
        Attribute("devices", .list(.object(deviceMapping))),
        Attribute("dns", .stringList(acceptsString: true)),
        Attribute("dns_opt", .stringList(acceptsString: false)),
        Attribute("dns_search", .stringList(acceptsString: true)),
        Attribute("dockerfile", .string),
        Attribute("domainname", .string),
        Attribute("entrypoint", .shellCommand, .always),
        Attribute("provider", .object(provider), .omitNil),
        Attribute("environment", .mappingWithEquals),
        Attribute("env_file", .list(.object(envFile))),
        Attribute("expose", .stringOrNumberList),
        Attribute("extends", .object(extends), .omitNil),
        Attribute("external_links", .stringList(acceptsString: false)),
        Attribute("extra_hosts", .hostsList),
        Attribute("group_add", .stringOrNumberList),
        Attribute("gpus", .any),
        Attribute("hostname", .string),
        Attribute("healthcheck", .object(healthcheck), .omitNil),
        Attribute("image", .string),
        Attribute("init", .bool, .omitNil),
        Attribute("ipc", .string),
        Attribute("isolation", .string),
        Attribute("labels", labels),
        Attribute("label_file", .stringList(acceptsString: true)),
        Attribute("links", .stringList(acceptsString: false)),
        Attribute("logging", .object(logging), .omitNil),
        Attribute("log_driver", .string),
        Attribute("log_opt", .mapping),
        Attribute("mem_limit", .bytes),
        Attribute("mem_reservation", .bytes),
        Attribute("memswap_limit", .bytes),
        Attribute("mem_swappiness", .bytes),
        Attribute("mac_address", .string),
        Attribute("models", .map(.any)),
        Attribute("net", .string),
        Attribute("network_mode", .string),
        Attribute("networks", .map(.object(serviceNetwork))),
        Attribute("oom_kill_disable", .bool),
        Attribute("oom_score_adj", .int),
        Attribute("pid", .string),
        Attribute("pids_limit", .int),
        Attribute("platform", .string),
        Attribute("ports", .list(.object(port))),
        Attribute("privileged", .bool),
        Attribute("pull_policy", .string),
        Attribute("read_only", .bool),
        Attribute("restart", .string),
        Attribute("runtime", .string),
        Attribute("scale", .int, .omitNil),
        Attribute("secrets", .list(.object(fileReference))),
        Attribute("security_opt", .stringList(acceptsString: false)),
        Attribute("shm_size", .bytes),
        Attribute("stdin_open", .bool),
        Attribute("stop_grace_period", duration, .omitNil),
        Attribute("stop_signal", .string),
        Attribute("storage_opt", .mapping),
        Attribute("sysctls", .mapping),
        Attribute("tmpfs", .stringList(acceptsString: true)),
        Attribute("tty", .bool),
        Attribute("ulimits", .map(.ulimit)),
        Attribute("use_api_socket", .bool),
        Attribute("user", .string),
        Attribute("userns_mode", .string),
        Attribute("uts", .string),
        Attribute("volume_driver", .string),
        Attribute("volumes", .list(.object(serviceVolume))),
        Attribute("volumes_from", .stringList(acceptsString: false)),
        Attribute("working_dir", .string),
        Attribute("post_start", .list(.object(serviceHook))),
        Attribute("pre_stop", .list(.object(serviceHook))),
    ])

    static let ipamPool = Schema("ipam config", [
        Attribute("subnet", .string),
        Attribute("gateway", .string),
        Attribute("ip_range", .string),
        Attribute("aux_addresses", .mapping),
    ])

    static let ipam = Schema("ipam", [
        Attribute("driver", .string),
        Attribute("config", .list(.object(ipamPool))),
        Attribute("options", .mapping),
    ])

    static let network = Schema("network", [
        Attribute("name", .string),
        Attribute("driver", .string),
        Attribute("driver_opts", .mapping),
        Attribute("ipam", .object(ipam), .always),
        Attribute("external", .bool),
        Attribute("internal", .bool),
        Attribute("attachable", .bool),
        Attribute("labels", labels),
        Attribute("enable_ipv4", .bool, .omitNil),
        Attribute("enable_ipv6", .bool, .omitNil),
    ])

    static let volume = Schema("volume", [
        Attribute("name", .string),
        Attribute("driver", .string),
        Attribute("driver_opts", .mapping),
        Attribute("external", .bool),
        Attribute("labels", labels),
    ])

    static let fileObject = Schema("secret or config", [
        Attribute("name", .string),
        Attribute("file", .string),
        Attribute("environment", .string),
        Attribute("content", .string),
        Attribute("external", .bool),
        Attribute("labels", labels),
        Attribute("driver", .string),
        Attribute("driver_opts", .mapping),
        Attribute("template_driver", .string),
    ])

    static let include = Schema("include", extensions: false, [
        Attribute("path", .stringList(acceptsString: true)),
        Attribute("project_directory", .string),
        Attribute("env_file", .stringList(acceptsString: true)),
    ])

    static let model = Schema("model", [
        Attribute("name", .string), Attribute("model", .string), Attribute("context_size", .int),
        Attribute("runtime_flags", .stringList(acceptsString: false)),
    ])

    static let project = Schema("project", [
        Attribute("version", .string),
        Attribute("name", .string),
        Attribute("include", .list(.object(include))),
        Attribute("services", .map(.object(service)), .always),
        Attribute("networks", .map(.object(network))),
        Attribute("volumes", .map(.object(volume))),
        Attribute("secrets", .map(.object(fileObject))),
        Attribute("configs", .map(.object(fileObject))),
        Attribute("models", .map(.object(model))),
    ])
}
