/**
 * The app shell: a sidebar of screens (PRODUCT.md §3) and the chosen screen. Navigation is by URL hash
 * (`#/inspect`), which works from file:// and needs no router.
 */
import { useEffect, useState } from 'react';
import type { AppInfo } from '../../electron/shared/api-types.js';
import { ceremonyApi } from './lib/api';
import { ExportScreen } from './screens/ExportScreen';
import { ImportScreen } from './screens/ImportScreen';
import { InspectScreen } from './screens/InspectScreen';
import { NotYetScreen } from './screens/NotYetScreen';
import { RootCeremonyScreen } from './screens/RootCeremonyScreen';
import { CosignScreen } from './screens/CosignScreen';
import { RotationScreen } from './screens/RotationScreen';
import { ShamirScreen } from './screens/ShamirScreen';
import { SCREENS, screenFromHash, type ScreenId, type ScreenInfo } from './screens/screens';
import { TokensScreen } from './screens/TokensScreen';
import { TranscriptScreen } from './screens/TranscriptScreen';

function useScreen(): ScreenId {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash(window.location.hash));
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash(window.location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  return screen;
}

function useAppInfo(): AppInfo | undefined {
  const [info, setInfo] = useState<AppInfo | undefined>();
  useEffect(() => {
    let live = true;
    ceremonyApi()
      ?.appInfo()
      .then((r) => {
        if (live && r.ok) setInfo(r.value);
      })
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  return info;
}

/**
 * The light high-contrast theme for a projector (issue #16): black on white, chosen per machine
 * (localStorage), set as <html data-theme="light"> so the stylesheet swaps its colour variables.
 */
function useTheme(): [boolean, () => void] {
  const [light, setLight] = useState(() => {
    try {
      return window.localStorage.getItem('tufc-theme') === 'light';
    } catch {
      return false;
    }
  });
  useEffect(() => {
    if (light) document.documentElement.dataset.theme = 'light';
    else delete document.documentElement.dataset.theme;
    try {
      window.localStorage.setItem('tufc-theme', light ? 'light' : 'dark');
    } catch {
      // storage unavailable (file:// in some setups): the choice lasts for this window only
    }
  }, [light]);
  return [light, () => setLight((v) => !v)];
}

function ScreenView({ screen }: { screen: ScreenInfo }) {
  if (!screen.ready) return <NotYetScreen screen={screen} />;
  switch (screen.id) {
    case 'tokens':
      return <TokensScreen />;
    case 'root':
      return <RootCeremonyScreen />;
    case 'transcript':
      return <TranscriptScreen />;
    case 'export':
      return <ExportScreen />;
    case 'import':
      return <ImportScreen />;
    case 'rotation':
      return <RotationScreen />;
    case 'cosign':
      return <CosignScreen />;
    case 'shamir':
      return <ShamirScreen />;
    default:
      return <InspectScreen />;
  }
}

export function App() {
  const current = useScreen();
  const info = useAppInfo();
  const connected = ceremonyApi() !== undefined;
  const [light, toggleTheme] = useTheme();
  const screen = SCREENS.find((s) => s.id === current) ?? SCREENS[0]!;
  useEffect(() => {
    document.title = `${screen.title} — tuf-ceremony`;
  }, [screen.title]);
  return (
    <div className="app">
      <nav className="sidebar" aria-label="Screens">
        <p className="brand">
          tuf-ceremony
          {info ? <span className="version">v{info.version}</span> : null}
        </p>
        <ul>
          {SCREENS.map((s) => (
            <li key={s.id}>
              <a href={`#/${s.id}`} aria-current={s.id === current ? 'page' : undefined} className={s.ready ? 'ready' : 'not-ready'}>
                <span className="nav-title">{s.title}</span>
                {s.ready ? null : <span className="nav-note">not yet in this build</span>}
              </a>
            </li>
          ))}
        </ul>
        <div className="sidebar-foot">
          <button type="button" className="secondary theme-toggle" aria-pressed={light} onClick={toggleTheme}>
            High-contrast light theme
          </button>
          {connected ? (
            info?.offline ? (
              <p className="offline">
                <span aria-hidden="true">● </span>Offline: no network access
              </p>
            ) : null
          ) : (
            <p className="disconnected">
              <span aria-hidden="true">● </span>Not connected to the core
            </p>
          )}
          {info?.testBridge ? <p className="test-bridge">TEST BRIDGE (not the packaged app)</p> : null}
        </div>
      </nav>
      <main className="content" id="main">
        <ScreenView key={screen.id} screen={screen} />
      </main>
    </div>
  );
}
