// GIVEN/WHEN/THEN tests of the core utilities: Result and BoundedQueue.
#include <QtTest>

#include <thread>

#include "fvs/core/bounded_queue.h"
#include "fvs/core/result.h"

using namespace fvs::core;

class TestCoreBasics : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void resultCarriesValueOrError() {
        Result<int> good = 42;
        QVERIFY(good.ok());
        QCOMPARE(good.value(), 42);
        Result<int> bad = makeError(ErrorCode::NotFound, "missing.mp4");
        QVERIFY(!bad.ok());
        QCOMPARE(bad.error().code, ErrorCode::NotFound);
        QCOMPARE(QString::fromStdString(bad.error().message), QStringLiteral("missing.mp4"));
    }

    void queueBlocksWhenFullAndDrainsAfterClose() {
        // GIVEN a queue of capacity 2 and a producer pushing 100 items
        BoundedQueue<int> q(2);
        std::jthread producer([&] {
            for (int i = 0; i < 100; ++i)
                QVERIFY(q.push(i));
            q.close();
        });
        // WHEN a consumer pops until the end
        int expected = 0;
        while (auto v = q.pop()) {
            QCOMPARE(*v, expected++);
            QVERIFY(q.size() <= 2);
        }
        // THEN every item arrived in order
        QCOMPARE(expected, 100);
    }

    void stopTokenWakesABlockedPop() {
        BoundedQueue<int> q(1);
        std::stop_source stop;
        std::jthread t([&] { stop.request_stop(); });
        t.join();
        QVERIFY(!q.pop(stop.get_token()).has_value());
        QVERIFY(!q.push(1, stop.get_token()) || q.size() == 1);
    }
};

QTEST_GUILESS_MAIN(TestCoreBasics)
#include "test_core_basics.moc"
