import type { ScreenInfo } from './screens';

/** An honest placeholder: what the screen is for, that it is not in this build, and what works today. */
export function NotYetScreen({ screen }: { screen: ScreenInfo }) {
  return (
    <div className="screen not-yet">
      <header className="screen-head">
        <h1>{screen.title}</h1>
        <p className="not-yet-badge">Not yet in this build</p>
      </header>
      <section className="panel">
        <h2>What this screen will do</h2>
        <p>{screen.purpose}</p>
        <p>Nothing on this screen works yet, and nothing here pretends to.</p>
        {screen.meanwhile ? (
          <>
            <h2>Today</h2>
            <p>{screen.meanwhile}</p>
          </>
        ) : null}
      </section>
    </div>
  );
}
