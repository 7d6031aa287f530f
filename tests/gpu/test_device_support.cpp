// Device support in words (issue 11 §5): what flashVsrSupport says for each kind of machine a user
// may have, from DeviceInfo values (no GPU needed), and the version helpers behind it.

#include <QtTest>

#include "fvs/gpu/device_info.h"

using namespace fvs::gpu;

namespace {

DeviceInfo ampere() {
    DeviceInfo d;
    d.cudaBuild = true;
    d.cudaAvailable = true;
    d.deviceName = "NVIDIA GeForce RTX 3090";
    d.cudaRuntimeVersion = 13000;
    d.cudaDriverVersion = 13000;
    d.computeMajor = 8;
    d.computeMinor = 6;
    return d;
}

bool says(const FlashVsrSupport& s, const char* text) {
    return s.summary.find(text) != std::string::npos;
}

}  // namespace

class TestDeviceSupport : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void versionsInWords() {
        QCOMPARE(cudaVersionText(13000), std::string("13.0"));
        QCOMPARE(cudaVersionText(12080), std::string("12.8"));
        QCOMPARE(cudaVersionText(0), std::string("none"));
        QCOMPARE(minimumLinuxDriver(13000), std::string("580"));
        QCOMPARE(minimumLinuxDriver(12040), std::string("525"));
        QCOMPARE(minimumLinuxDriver(9000), std::string());
    }

    void eachMachineGetsAPlainAnswer() {
        // GIVEN an Ampere card with a current driver THEN FlashVSR runs there in bf16
        const FlashVsrSupport ok = flashVsrSupport(ampere());
        QVERIFY(ok.runs);
        QVERIFY2(says(ok, "RTX 3090 (sm_86) in bf16"), ok.summary.c_str());
        // GIVEN a Turing card THEN refused: no bf16, with the capability it needs
        DeviceInfo turing = ampere();
        turing.deviceName = "NVIDIA GeForce RTX 2080";
        turing.computeMajor = 7;
        turing.computeMinor = 5;
        const FlashVsrSupport t = flashVsrSupport(turing);
        QVERIFY(!t.runs);
        QVERIFY2(says(t, "sm_75") && says(t, "8.0 (Ampere)"), t.summary.c_str());
        // GIVEN a driver older than the bundled runtime THEN it names the driver to install
        DeviceInfo old = ampere();
        old.cudaDriverVersion = 12040;
        old.cudaAvailable = false;
        const FlashVsrSupport o = flashVsrSupport(old);
        QVERIFY(!o.runs);
        QVERIFY2(says(o, "CUDA 12.4") && says(o, "CUDA 13.0") && says(o, "driver 580 or newer"),
                 o.summary.c_str());
        // GIVEN no driver at all THEN says so, with the driver needed
        DeviceInfo none = ampere();
        none.cudaDriverVersion = 0;
        none.cudaAvailable = false;
        QVERIFY2(says(flashVsrSupport(none), "no NVIDIA driver found"),
                 flashVsrSupport(none).summary.c_str());
        // GIVEN a build without CUDA THEN says so, and what runs instead
        const FlashVsrSupport cpu = flashVsrSupport(DeviceInfo{});
        QVERIFY(!cpu.runs);
        QVERIFY2(says(cpu, "no CUDA") && says(cpu, "Real-ESRGAN"), cpu.summary.c_str());
    }

    void thisMachineIsDescribed() {
        // GIVEN this machine WHEN queried THEN an answer consistent with what was found
        const DeviceInfo d = queryDevice();
        const FlashVsrSupport s = flashVsrSupport(d);
        QVERIFY(!s.summary.empty());
        QCOMPARE(s.runs, d.cudaAvailable && d.computeMajor >= 8 &&
                             d.cudaDriverVersion >= d.cudaRuntimeVersion);
    }
};

QTEST_GUILESS_MAIN(TestDeviceSupport)
#include "test_device_support.moc"
