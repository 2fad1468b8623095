package io.pgcaravan.it;

import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The status page in a real headless browser (Debian's chromium and chromedriver): sign in, see
 * the jobs, start a run with the button, watch it reach SUCCEEDED with its verification table.
 */
@QuarkusTest
@QuarkusTestResource(StackResource.class)
class StatusPageTest {

    /** The jobs this test runs (see TestJob). */
    static final List<TestJob> JOBS = List.of(
            TestJob.named("it-page"),
            TestJob.named("it-page-failing").set("retry.other", "1s"));

    static final Path SCREENSHOT = Path.of("target/status-page.png");
    static final Path RUN_SCREENSHOT = Path.of("target/status-page-run.png");

    @TestHTTPResource("/")
    URL page;

    private WebDriver browser;

    @BeforeEach
    void openBrowser() {
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        // headless, as root, and without the background traffic a closed network refuses
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--window-size=1400,1600");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File("/usr/bin/chromedriver")).build();
        browser = new ChromeDriver(service, options);
    }

    @AfterEach
    void closeBrowser() {
        if (browser != null) {
            browser.quit();
        }
    }

    @Test
    void aRunStartedFromThePageReachesSucceededAndShowsItsVerification() throws Exception {
        Stack.freshJob("it-page");
        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));

        browser.get(page.toString());
        browser.findElement(By.id("user")).sendKeys("it-operator");
        browser.findElement(By.id("password")).sendKeys(Api.OPERATOR_PASSWORD);
        browser.findElement(By.id("sign-in")).click();

        WebElement jobRow = wait.until(b -> b.findElements(By.cssSelector("#jobs tr[data-job='it-page']")).stream().findFirst().orElse(null));
        assertThat(jobRow.getText()).contains("it_page_src", "on demand");
        jobRow.findElement(By.cssSelector("button.run-now")).click();

        wait.until(b -> "SUCCEEDED".equals(b.findElement(By.id("run-status")).getText()));
        List<WebElement> stages = browser.findElements(By.cssSelector("#stages tbody tr"));
        assertThat(stages).hasSize(10).allSatisfy(r -> assertThat(r.getText()).contains("DONE"));
        String verification = browser.findElement(By.id("verification")).getText();
        assertThat(verification).contains("shop.customers", "2000", "shop.events_other", "yes").doesNotContain("NO");
        assertThat(browser.findElement(By.id("precheck")).getText()).contains("source.connection", "PASS");
        assertThat(browser.findElement(By.id("runs")).getText()).contains("it-page", "SUCCEEDED");

        Files.createDirectories(SCREENSHOT.getParent());
        Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
        assertThat(Files.size(SCREENSHOT)).isGreaterThan(10_000);
        // and the run itself, stages to verification
        ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("document.getElementById('run').scrollIntoView()");
        Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), RUN_SCREENSHOT, StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * A failed run on the page: Discard staging frees its staging copy (after a confirmation), and
     * Resume, once the cause is fixed, takes it to SUCCEEDED.
     */
    @Test
    void aFailedRunsStagingIsDiscardedAndTheRunResumedFromThePage() throws Exception {
        String job = "it-page-failing";
        Stack.freshJob(job);
        // pg_restore fails on a schema the destination already has (not a table: the precheck would catch that)
        try (var c = Stack.destination("postgres"); var st = c.createStatement()) {
            st.execute("CREATE DATABASE " + StackResource.destinationDb(job));
        }
        Stack.execDestination(StackResource.destinationDb(job), "CREATE SCHEMA shop");
        String id = Api.startRun(job);
        assertThat(Api.awaitFinished(id).getString("status")).isEqualTo("FAILED");
        Path staging = StackResource.TEST_DATA.resolve("staging").resolve(id);
        assertThat(staging).isDirectory();

        WebDriverWait wait = new WebDriverWait(browser, Duration.ofSeconds(120));
        browser.get(page + "#run=" + id);
        browser.findElement(By.id("user")).sendKeys("it-operator");
        browser.findElement(By.id("password")).sendKeys(Api.OPERATOR_PASSWORD);
        browser.findElement(By.id("sign-in")).click();
        wait.until(b -> "FAILED".equals(b.findElement(By.id("run-status")).getText()));
        assertThat(browser.findElement(By.id("cancel-run")).isDisplayed()).isFalse();

        click(wait, "discard-staging");
        wait.until(b -> b.switchTo().alert()).accept();
        wait.until(b -> b.findElement(By.id("run-action")).getText().startsWith("staging copy discarded"));
        assertThat(browser.findElement(By.id("run-action")).getText()).containsPattern("\\d+\\.\\d MiB freed");
        assertThat(staging).doesNotExist();

        Stack.execDestination(StackResource.destinationDb(job), "DROP SCHEMA shop");
        click(wait, "resume-run");
        wait.until(b -> "SUCCEEDED".equals(b.findElement(By.id("run-status")).getText()));
        assertThat(Faithful.differences(job)).as("the independent checker").isEmpty();
        assertThat(browser.findElement(By.id("resume-run")).isDisplayed()).isFalse();
    }

    /** Clicks a button once the page, which redraws its tables every second, has it in view and uncovered. */
    private void click(WebDriverWait wait, String id) {
        wait.ignoring(org.openqa.selenium.ElementClickInterceptedException.class).until(b -> {
            WebElement button = b.findElement(By.id(id));
            ((org.openqa.selenium.JavascriptExecutor) b).executeScript("arguments[0].scrollIntoView({block: 'center'})", button);
            button.click();
            return true;
        });
    }

    @Test
    void aWrongPasswordIsRefusedOnThePage() {
        browser.get(page.toString());
        browser.findElement(By.id("user")).sendKeys("it-operator");
        browser.findElement(By.id("password")).sendKeys("wrong");
        browser.findElement(By.id("sign-in")).click();
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(b -> !b.findElement(By.id("login-error")).getText().isEmpty());
        assertThat(browser.findElement(By.id("login-error")).getText()).startsWith("Sign-in refused");
        assertThat(browser.findElement(By.id("app")).isDisplayed()).isFalse();
    }
}
