package org.pot4j.device.cpu.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Whether this machine's CPU has VNNI (avx512_vnni or avx_vnni): without it, x86 int8 kernels
 * multiply u8 x s8 pairs with VPMADDUBSW, whose int16 sums can saturate, hence POT's 7-bit
 * weight "saturation fix". Unknown (not x86, flags unreadable) counts as absent, the safe side.
 */
record CpuFeatures(boolean vnni, String source) {

    static CpuFeatures detect() {
        return fromCpuInfo(System.getProperty("os.arch", ""), Path.of("/proc/cpuinfo"));
    }

    static CpuFeatures fromCpuInfo(String arch, Path cpuInfo) {
        String a = arch.toLowerCase(Locale.ROOT);
        if (!(a.equals("amd64") || a.equals("x86_64") || a.equals("x86") || a.equals("i386"))) {
            return new CpuFeatures(false, "unknown on " + arch + " (assumed absent)");
        }
        try {
            return fromFlags(Files.readString(cpuInfo), cpuInfo.toString());
        } catch (IOException | RuntimeException e) {
            return new CpuFeatures(false, "unknown: " + cpuInfo + " unreadable (assumed absent)");
        }
    }

    static CpuFeatures fromFlags(String cpuInfo, String where) {
        for (String line : cpuInfo.split("\n")) {
            if (line.startsWith("flags")) {
                int colon = line.indexOf(':');
                for (String flag : line.substring(colon + 1).trim().split("\\s+")) {
                    if (flag.equals("avx512_vnni") || flag.equals("avx_vnni")) {
                        return new CpuFeatures(true, flag + " in " + where);
                    }
                }
                return new CpuFeatures(false, "no avx512_vnni/avx_vnni flag in " + where);
            }
        }
        return new CpuFeatures(false, "unknown: no flags line in " + where + " (assumed absent)");
    }
}
